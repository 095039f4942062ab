// Evaluation protocols: every policy (DDPG, baselines, oracle) is asked through the one Policy
// interface, in batches of up to `batch` states, on exactly the same states, and every figure
// is a mean over units with a cluster-bootstrap 95% interval (bootstrap.ts).
//
//   "original"    the original DDPG project's offline protocol, reproduced as it was defined
//                 (its notebook's test_actor): for each held-out test session and each of
//                 `rounds` (2) rounds, the state is N = 10 rows drawn at random, without
//                 replacement, from the whole session, kept in the order drawn; each policy
//                 lists K = 3 tracks. A recommended track that appears in the session is
//                 "known" and takes the skip_2 of its first row there; the others are
//                 "unknown". Skip rate = skipped known / known, pooled over all lists
//                 (1 − the mean rating, as the original computed it); unknown share = unknown /
//                 recommended; diversity = mean over lists of 1 − mean pairwise cosine of the 8
//                 audio features (only lists whose K tracks all have features count; the note
//                 gives the share). Differences from the original, forced by the Policy
//                 contract: recommendations never repeat a state track (the original's actor
//                 could recommend a track of the state, which was then always "known").
//                 "logged" reference: the skip rate of the test sessions' own rows and the
//                 diversity of their consecutive non-overlapping K-track lists (rows 0..K−1,
//                 K..2K−1, …; the original's baseline skip rate was over all sessions' rows).
//   "next-tracks" chronological: for each position p = N .. m − K of a test session of m rows,
//                 the state is rows p−N .. p−1 and the truth the K rows p .. p+K−1 (the
//                 tracks actually played next; samples.ts chronological samples). hit@K,
//                 precision@K, NDCG@K, novelty and diversity are averaged per session, then
//                 over sessions; skip rate among hits is pooled over hits (a hit takes the
//                 skip_2 of its first row in the truth); catalog coverage is distinct
//                 recommended tracks over the run / V (a corpus figure, bootstrapped over
//                 sessions with a shifted percentile interval, see bootstrapStatistic).
//                 A truth track that is also in the state can never be hit (policies exclude
//                 the state), for every policy alike.
//   "online"      any Environment (src/rl/env.ts): E episodes per seed per policy; per
//                 episode the total list reward and the mean over steps of the mean of the K
//                 per-slot reward flags. Each policy replays the same seeded episode starts.
//
// Seeds: the same seed gives every policy the same states ("original" draws them with
// Rng(seed)); a policy's own randomness comes from Rng(hash(seed, name)), so results do not
// depend on the order policies are listed in. Pooling: a test session evaluated under S seeds
// is S units of one cluster; the point estimate averages all units, the bootstrap resamples
// clusters (sessions; for "online", episodes), and Estimate.n counts units.
//
// This file imports nothing from Node.
import { Rng } from "../rng.js";
import { LOG_FLAG } from "../data/log-parser.js";
import { buildSamples } from "../data/samples.js";
import type { Environment } from "../rl/env.js";
import type { Policy } from "../core/policy.js";
import { allocStates, stateRows, type States } from "../core/state.js";
import type { MetricResult, ProtocolResult, Estimate } from "./types.js";
import { bootstrapStatistic, UnitPool, type BootstrapOptions } from "./bootstrap.js";
import { DiversitySpace, hitAtK, ndcgAtK, novelty, precisionAtK } from "./metrics.js";

/** The session data the offline protocols read (an MssdDataset, or hand-built parts). */
export interface EvalSessions {
  /** Catalog size V. */
  readonly trackCount: number;
  sessionOffsets: Int32Array;
  tracks: Int32Array;
  /** LOG_FLAG bits per row (skip_2 is read). */
  flags: Uint16Array;
  /** Row of track t in `features`, or −1 (absent: no track has features). */
  featureRow?: Int32Array;
  /** Feature matrix, FEATURE_COLUMNS per row. */
  features?: Float32Array;
}

export interface EvalSplit {
  /** Training sessions (popularity for novelty). */
  train: ArrayLike<number>;
  /** Held-out sessions evaluated. */
  test: ArrayLike<number>;
}

/** The policies, the same for every seed or made per seed (e.g. one DDPG trained per seed). Names must be unique and stable. */
export type PolicySource = readonly Policy[] | ((seed: number) => readonly Policy[]);

export interface ProtocolOptions {
  /** Seeds pooled. Default [0]. */
  seeds?: number[];
  /** State length. Default 10. */
  N?: number;
  /** List length. Default 3. */
  K?: number;
  /** States per recommend() call. Default 128. */
  batch?: number;
  /** Resamples, seed and level of the intervals (defaults 1000, 0, 0.95). */
  bootstrap?: BootstrapOptions;
}

interface Common {
  seeds: number[];
  N: number;
  K: number;
  batch: number;
  bootstrap: BootstrapOptions;
}

function common(o: ProtocolOptions): Common {
  const c = { seeds: o.seeds ?? [0], N: o.N ?? 10, K: o.K ?? 3, batch: o.batch ?? 128, bootstrap: o.bootstrap ?? {} };
  if (c.seeds.length === 0) throw new Error("evaluation: no seeds given");
  for (const s of c.seeds) if (!Number.isInteger(s)) throw new Error(`evaluation: seed ${s} is not an integer`);
  if (!(Number.isInteger(c.N) && c.N >= 1)) throw new Error(`evaluation: N must be a positive integer, got ${c.N}`);
  if (!(Number.isInteger(c.K) && c.K >= 1)) throw new Error(`evaluation: K must be a positive integer, got ${c.K}`);
  if (!(Number.isInteger(c.batch) && c.batch >= 1)) throw new Error(`evaluation: batch must be a positive integer, got ${c.batch}`);
  return c;
}

function policiesFor(src: PolicySource, seed: number): readonly Policy[] {
  const ps = typeof src === "function" ? src(seed) : src;
  const names = new Set<string>();
  for (const p of ps) {
    if (names.has(p.name)) throw new Error(`evaluation: two policies are named "${p.name}"`);
    if (p.name === "logged") throw new Error('evaluation: "logged" is reserved for the logged reference');
    names.add(p.name);
  }
  return ps;
}

/** The policy's own random stream for a seed: independent of the order policies are listed in. */
export function policyRng(seed: number, name: string): Rng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return new Rng(Math.imul(h ^ Math.imul(seed | 0, 0x9e3779b1), 0x85ebca6b) >>> 0);
}

/**
 * Asks `policy` for K tracks for each of `count` states (count, N), `batch` at a time, into
 * out (count, K), then checks each list: K distinct tracks in [0, V), none in its state.
 */
export function recommendAll(policy: Policy, st: States, count: number, N: number, K: number, out: Int32Array, rng: Rng, batch: number, V: number): void {
  for (let i = 0; i < count; i += batch) {
    const b = Math.min(batch, count - i);
    policy.recommend(stateRows(st, N, i, i + b), b, K, out.subarray(i * K, (i + b) * K), rng);
  }
  const states = st.tracks;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < K; k++) {
      const t = out[i * K + k];
      if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new Error(`policy ${policy.name}: state ${i} slot ${k} holds ${t}, not a track in 0..${V - 1}`);
      for (let j = 0; j < k; j++) if (out[i * K + j] === t) throw new Error(`policy ${policy.name}: state ${i} slot ${k} repeats track ${t} of slot ${j}`);
      for (let n = 0; n < N; n++) if (states[i * N + n] === t) throw new Error(`policy ${policy.name}: state ${i} slot ${k} recommends track ${t}, already in the state`);
    }
  }
}

function metric(metric: string, label: string, lowerIsBetter: boolean, values: Record<string, Estimate>, note?: string): MetricResult {
  const m: MetricResult = { metric, label, lowerIsBetter, values };
  if (note) m.note = note;
  return m;
}

function checkSessions(data: EvalSessions, sessions: ArrayLike<number>, what: string): void {
  const S = data.sessionOffsets.length - 1;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i];
    if (!(Number.isInteger(s) && s >= 0 && s < S)) throw new Error(`evaluation: ${what} session index ${s} outside 0..${S - 1}`);
  }
}

function audioSpace(data: EvalSessions): DiversitySpace | null {
  if (!data.featureRow || !data.features) return null;
  return DiversitySpace.audio(data.featureRow, data.features);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** A seeded subsample of n sessions (all when n ≥ their count), ascending. */
export function subsampleSessions(sessions: ArrayLike<number>, n: number, seed: number): Int32Array {
  const a = Int32Array.from(sessions);
  if (n >= a.length) return a;
  new Rng(seed).shuffle(a);
  return a.slice(0, n).sort();
}

// ---------------------------------------------------------------------------------------
// "original"

export interface OriginalOptions extends ProtocolOptions {
  /** Passes over the test sessions, each drawing new states. Default 2 (the original's nb_rounds). */
  rounds?: number;
  /** Include the "logged" reference. Default true. */
  logged?: boolean;
  /** Vectors of the diversity; default the dataset's 8 audio features. */
  diversity?: DiversitySpace;
}

/** The original project's protocol (see the file header). */
export function runOriginal(data: EvalSessions, split: Pick<EvalSplit, "test">, policies: PolicySource, opts: OriginalOptions = {}): ProtocolResult {
  const { seeds, N, K, batch, bootstrap } = common(opts);
  const rounds = opts.rounds ?? 2, logged = opts.logged ?? true;
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`original protocol: rounds must be a positive integer, got ${rounds}`);
  const test = split.test;
  checkSessions(data, test, "test");
  const V = data.trackCount, off = data.sessionOffsets, tracks = data.tracks, flags = data.flags;
  const space = opts.diversity ?? audioSpace(data);
  const C = test.length;
  // Sessions long enough for a state of N rows.
  const eligible: number[] = [];
  for (let c = 0; c < C; c++) if (off[test[c] + 1] - off[test[c]] >= N) eligible.push(c);
  const U = eligible.length * rounds;
  const st = allocStates(U, N), states = st.tracks, out = new Int32Array(U * K), unitCluster = new Int32Array(U);
  let scratch = new Int32Array(64);

  const skip: Record<string, Estimate> = {}, unknown: Record<string, Estimate> = {}, diversity: Record<string, Estimate> = {};
  const listsWith: Record<string, [number, number]> = {};
  const pools = new Map<string, { skip: UnitPool; unknown: UnitPool; div: UnitPool }>();
  const poolOf = (name: string) => {
    let p = pools.get(name);
    if (!p) pools.set(name, (p = { skip: new UnitPool(C), unknown: new UnitPool(C), div: new UnitPool(C) }));
    return p;
  };
  const perCluster = { skipped: new Float64Array(C), known: new Float64Array(C), unk: new Float64Array(C), recs: new Float64Array(C), divSum: new Float64Array(C), divN: new Float64Array(C) };
  for (const seed of seeds) {
    // The states: the same for every policy under this seed.
    const rng = new Rng(seed);
    let u = 0;
    for (let r = 0; r < rounds; r++) {
      for (const c of eligible) {
        const a = off[test[c]], m = off[test[c] + 1] - a;
        if (m > scratch.length) scratch = new Int32Array(2 * m);
        for (let i = 0; i < m; i++) scratch[i] = i;
        for (let i = 0; i < N; i++) {
          // partial Fisher–Yates: row i of the state is uniform over the rows not drawn yet
          const j = i + rng.int(m - i);
          const t = scratch[i];
          scratch[i] = scratch[j];
          scratch[j] = t;
          states[u * N + i] = tracks[a + scratch[i]];
          st.kept[u * N + i] = flags[a + scratch[i]] & LOG_FLAG.skip_2 ? 0 : 1;
        }
        unitCluster[u++] = c;
      }
    }
    for (const policy of policiesFor(policies, seed)) {
      recommendAll(policy, st, U, N, K, out, policyRng(seed, policy.name), batch, V);
      for (const a of Object.values(perCluster)) a.fill(0);
      for (let v = 0; v < U; v++) {
        const c = unitCluster[v], a = off[test[c]], b = off[test[c] + 1];
        for (let k = 0; k < K; k++) {
          const t = out[v * K + k];
          let row = -1;
          for (let r = a; r < b; r++) {
            if (tracks[r] === t) {
              row = r;
              break;
            }
          }
          perCluster.recs[c]++;
          if (row < 0) perCluster.unk[c]++;
          else {
            perCluster.known[c]++;
            if (flags[row] & LOG_FLAG.skip_2) perCluster.skipped[c]++;
          }
        }
        if (space) {
          const d = space.listDiversity(out, v * K, K);
          if (!Number.isNaN(d)) {
            perCluster.divSum[c] += d;
            perCluster.divN[c]++;
          }
        }
      }
      const p = poolOf(policy.name);
      const lw = (listsWith[policy.name] ??= [0, 0]);
      for (const c of eligible) {
        p.skip.add(c, perCluster.skipped[c], perCluster.known[c]);
        p.unknown.add(c, perCluster.unk[c], perCluster.recs[c]);
        p.div.add(c, perCluster.divSum[c], perCluster.divN[c]);
        lw[0] += perCluster.divN[c];
        lw[1] += rounds;
      }
    }
  }
  for (const [name, p] of pools) {
    skip[name] = p.skip.estimate(bootstrap);
    unknown[name] = p.unknown.estimate(bootstrap);
    diversity[name] = p.div.estimate(bootstrap);
  }
  if (logged) {
    const ps = new UnitPool(C), pd = new UnitPool(C);
    for (const c of eligible) {
      const a = off[test[c]], b = off[test[c] + 1];
      let sk = 0;
      for (let r = a; r < b; r++) if (flags[r] & LOG_FLAG.skip_2) sk++;
      ps.add(c, sk, b - a);
      let ds = 0, dn = 0, lists = 0;
      for (let r = a; r + K <= b; r += K) {
        lists++;
        const d = space ? space.listDiversity(tracks, r, K) : NaN;
        if (!Number.isNaN(d)) {
          ds += d;
          dn++;
        }
      }
      pd.add(c, ds, dn);
      const lw = (listsWith.logged ??= [0, 0]);
      lw[0] += dn;
      lw[1] += lists;
    }
    skip.logged = ps.estimate(bootstrap);
    diversity.logged = pd.estimate(bootstrap);
  }
  const cover = Object.entries(listsWith).map(([name, [w, all]]) => `${name} ${pct(all ? w / all : 0)}`).join(", ");
  const divNote = space
    ? `1 − mean pairwise cosine over the ${space.kind === "audio" ? "8 audio features" : `${space.kind} vectors`}, over lists whose ${K} tracks all have them (share of lists: ${cover}); ${space.countCovered()} of ${V} tracks have them`
    : "no track features: diversity not computed";
  return {
    protocol: "original",
    description:
      `The original DDPG project's offline protocol: per held-out session and round (${rounds}), a state of ${N} tracks drawn at random from the session and ${K} recommendations; ` +
      `skip rate (skip_2) among recommended tracks that appear in the session, the share that does not ("unknown"), and intra-list diversity; "logged" is the sessions' own rows.`,
    seeds,
    metrics: [
      metric("skip_rate", "Skip rate of recommended tracks (known)", true, skip, "pooled over recommended tracks found in the session (their first row's skip_2); logged: over the test sessions' rows"),
      metric("unknown", "Share of recommended tracks not in the session", false, unknown, "recommendations with no logged outcome; the skip rate is over the others"),
      metric("diversity", "Intra-list diversity (8 audio features)", false, diversity, divNote),
    ],
  };
}

// ---------------------------------------------------------------------------------------
// "next-tracks"

export interface NextTracksOptions extends ProtocolOptions {
  /** Learned track vectors for diversity where audio features do not cover the catalog. */
  embeddings?: { E: Float32Array; d: number };
  /**
   * "auto" (default): the 8 audio features when every track has them, else the embeddings
   * when given, else the audio features over the lists that have them. The note says which.
   */
  diversitySource?: "auto" | "audio" | "embedding";
  /** Training play counts per track for novelty; default counted from split.train. */
  playCount?: Int32Array;
}

/** The chronological next-tracks protocol (see the file header). */
export function runNextTracks(data: EvalSessions, split: EvalSplit, policies: PolicySource, opts: NextTracksOptions = {}): ProtocolResult {
  const { seeds, N, K, batch, bootstrap } = common(opts);
  checkSessions(data, split.test, "test");
  checkSessions(data, split.train, "train");
  const V = data.trackCount, test = split.test, C = test.length;
  // Diversity space.
  const audio = audioSpace(data);
  const src = opts.diversitySource ?? "auto";
  let space: DiversitySpace | null = null;
  const emb = opts.embeddings ? DiversitySpace.embedding(opts.embeddings.E, V, opts.embeddings.d) : null;
  if (src === "audio") space = audio;
  else if (src === "embedding") {
    if (!emb) throw new Error('next-tracks protocol: diversitySource "embedding" needs embeddings');
    space = emb;
  } else space = audio && audio.countCovered() === V ? audio : emb ?? audio;
  // Novelty's popularity.
  let playCount = opts.playCount;
  if (!playCount) {
    playCount = new Int32Array(V);
    for (let i = 0; i < split.train.length; i++) {
      const s = split.train[i];
      for (let r = data.sessionOffsets[s]; r < data.sessionOffsets[s + 1]; r++) playCount[data.tracks[r]]++;
    }
  }
  if (playCount.length !== V) throw new Error(`next-tracks protocol: playCount has ${playCount.length} tracks, the catalog ${V}`);
  let totalPlays = 0;
  for (let t = 0; t < V; t++) totalPlays += playCount[t];

  const smp = buildSamples(data, test, { N, K, mode: "chronological" });
  const U = smp.count;
  const S = data.sessionOffsets.length - 1;
  const clusterOf = new Int32Array(S).fill(-1);
  for (let c = 0; c < C; c++) clusterOf[test[c]] = c;
  const unitCluster = new Int32Array(U);
  for (let i = 0; i < U; i++) unitCluster[i] = clusterOf[smp.session[i]];

  const names: string[] = [];
  const pools = new Map<string, Record<"hit" | "prec" | "ndcg" | "skip" | "div" | "nov", UnitPool>>();
  const recsBySeed = new Map<string, Int32Array[]>();
  const acc = { n: new Float64Array(C), hit: new Float64Array(C), prec: new Float64Array(C), ndcg: new Float64Array(C), skipped: new Float64Array(C), hits: new Float64Array(C), divSum: new Float64Array(C), divN: new Float64Array(C), nov: new Float64Array(C) };
  const listsWith = new Map<string, number>();
  for (const seed of seeds) {
    for (const policy of policiesFor(policies, seed)) {
      const out = new Int32Array(U * K);
      recommendAll(policy, { tracks: smp.states, kept: smp.stateKept }, U, N, K, out, policyRng(seed, policy.name), batch, V);
      if (!pools.has(policy.name)) {
        names.push(policy.name);
        pools.set(policy.name, { hit: new UnitPool(C), prec: new UnitPool(C), ndcg: new UnitPool(C), skip: new UnitPool(C), div: new UnitPool(C), nov: new UnitPool(C) });
        recsBySeed.set(policy.name, []);
      }
      recsBySeed.get(policy.name)!.push(out);
      for (const a of Object.values(acc)) a.fill(0);
      let withVec = 0;
      for (let i = 0; i < U; i++) {
        const c = unitCluster[i], o = i * K;
        acc.n[c]++;
        acc.hit[c] += hitAtK(out, o, K, smp.actions, o, K);
        acc.prec[c] += precisionAtK(out, o, K, smp.actions, o, K);
        acc.ndcg[c] += ndcgAtK(out, o, K, smp.actions, o, K);
        acc.nov[c] += novelty(out, o, K, playCount, totalPlays);
        for (let k = 0; k < K; k++) {
          const t = out[o + k];
          for (let j = 0; j < K; j++) {
            if (smp.actions[o + j] !== t) continue;
            acc.hits[c]++;
            if (smp.rewards[o + j] === 0) acc.skipped[c]++;
            break;
          }
        }
        if (space) {
          const d = space.listDiversity(out, o, K);
          if (!Number.isNaN(d)) {
            acc.divSum[c] += d;
            acc.divN[c]++;
            withVec++;
          }
        }
      }
      listsWith.set(policy.name, (listsWith.get(policy.name) ?? 0) + withVec / Math.max(1, U) / seeds.length);
      const p = pools.get(policy.name)!;
      for (let c = 0; c < C; c++) {
        const n = acc.n[c];
        if (n === 0) continue;
        p.hit.addValue(c, acc.hit[c] / n);
        p.prec.addValue(c, acc.prec[c] / n);
        p.ndcg.addValue(c, acc.ndcg[c] / n);
        p.nov.addValue(c, acc.nov[c] / n);
        p.skip.add(c, acc.skipped[c], acc.hits[c]);
        if (acc.divN[c] > 0) p.div.addValue(c, acc.divSum[c] / acc.divN[c]);
      }
    }
  }
  const est = (key: "hit" | "prec" | "ndcg" | "skip" | "div" | "nov"): Record<string, Estimate> => {
    const r: Record<string, Estimate> = {};
    for (const n of names) r[n] = pools.get(n)![key].estimate(bootstrap);
    return r;
  };
  // Coverage: distinct recommended tracks over the sessions drawn, mean over seeds, / V.
  const unitsOfCluster = clusterUnits(unitCluster, C);
  const mark = new Int32Array(V);
  let stamp = 0;
  const coverage: Record<string, Estimate> = {};
  let sessionsWithUnits = 0;
  for (let c = 0; c < C; c++) if (unitsOfCluster.start[c + 1] > unitsOfCluster.start[c]) sessionsWithUnits++;
  for (const n of names) {
    const recs = recsBySeed.get(n)!;
    coverage[n] = bootstrapStatistic(
      C,
      (w) => {
        let sum = 0;
        for (const out of recs) {
          stamp++;
          let distinct = 0;
          for (let c = 0; c < C; c++) {
            if (w[c] === 0) continue;
            for (let q = unitsOfCluster.start[c]; q < unitsOfCluster.start[c + 1]; q++) {
              const i = unitsOfCluster.units[q];
              for (let k = 0; k < K; k++) {
                const t = out[i * K + k];
                if (mark[t] !== stamp) {
                  mark[t] = stamp;
                  distinct++;
                }
              }
            }
          }
          sum += distinct / V;
        }
        return sum / recs.length;
      },
      { ...bootstrap, centre: "shift", units: sessionsWithUnits * recs.length },
    );
  }
  const divShare = names.map((n) => `${n} ${pct(listsWith.get(n) ?? 0)}`).join(", ");
  const divNote = !space
    ? "no track features or embeddings: diversity not computed"
    : space.kind === "audio"
      ? `1 − mean pairwise cosine over the 8 audio features, over lists whose ${K} tracks all have them (share of lists: ${divShare}; ${space.countCovered()} of ${V} tracks have features)`
      : `1 − mean pairwise cosine over the learned track embeddings (d = ${space.D}): audio features cover ${audio ? audio.countCovered() : 0} of ${V} tracks only`;
  return {
    protocol: "next-tracks",
    description:
      `Chronological next-track prediction on held-out sessions: at every position p >= ${N} with ${K} rows left, the state is the ${N} previous tracks and the ${K} recommendations ` +
      `are compared with the ${K} tracks played next; per-session means, then the mean over ${sessionsWithUnits} sessions (${U} positions).`,
    seeds,
    metrics: [
      metric(`hit_rate@${K}`, `Hit rate@${K}`, false, est("hit"), `a list hits when any of its ${K} tracks is among the next ${K} played`),
      metric(`precision@${K}`, `Precision@${K}`, false, est("prec")),
      metric(`ndcg@${K}`, `NDCG@${K}`, false, est("ndcg"), "binary relevance, 1/log2(rank + 1) discount"),
      metric("skip_rate_hits", "Skip rate among hits", true, est("skip"), "pooled over hit tracks (skip_2 of the row they hit); sessions without hits carry no weight"),
      metric("coverage", "Catalog coverage", false, coverage, `distinct recommended tracks over the run / ${V} tracks (mean over seeds); interval: bootstrap over sessions, percentile interval shifted to the full-run figure`),
      metric("diversity", `Intra-list diversity (${space ? space.kind : "none"})`, false, est("div"), divNote),
      metric("novelty", "Novelty (mean −log2 popularity share)", false, est("nov"), "self-information of recommended tracks under add-one smoothed training play shares"),
    ],
  };
}

/** CSR of the units of each cluster. */
function clusterUnits(unitCluster: Int32Array, C: number): { start: Int32Array; units: Int32Array } {
  const start = new Int32Array(C + 1);
  for (let i = 0; i < unitCluster.length; i++) start[unitCluster[i] + 1]++;
  for (let c = 0; c < C; c++) start[c + 1] += start[c];
  const at = start.slice(0, C), units = new Int32Array(unitCluster.length);
  for (let i = 0; i < unitCluster.length; i++) units[at[unitCluster[i]]++] = i;
  return { start, units };
}

// ---------------------------------------------------------------------------------------
// "online"

/** One environment, several (episodes run in lockstep, one batched recommend() per step), or made per seed. */
export type EnvSource = Environment | readonly Environment[] | ((seed: number) => Environment | readonly Environment[]);

export interface OnlineOptions {
  seeds?: number[];
  /** Episodes per seed per policy. Default 100. */
  episodes?: number;
  /** Steps after which an episode that has not ended is an error. Default 10000. */
  maxSteps?: number;
  bootstrap?: BootstrapOptions;
  /** Human description of the environment for the report (e.g. "LIRD simulator, groups"). */
  envLabel?: string;
}

/** The online protocol (see the file header). */
export function runOnline(envs: EnvSource, policies: PolicySource, opts: OnlineOptions = {}): ProtocolResult {
  const seeds = opts.seeds ?? [0], E = opts.episodes ?? 100, maxSteps = opts.maxSteps ?? 10000, bootstrap = opts.bootstrap ?? {};
  if (seeds.length === 0) throw new Error("online protocol: no seeds given");
  if (!(Number.isInteger(E) && E >= 1)) throw new Error(`online protocol: episodes must be a positive integer, got ${E}`);
  const C = seeds.length * E;
  const names: string[] = [];
  const reward = new Map<string, UnitPool>(), flags = new Map<string, UnitPool>(), steps = new Map<string, UnitPool>();
  let NK = "";
  seeds.forEach((seed, si) => {
    const got = typeof envs === "function" ? envs(seed) : envs;
    const list: readonly Environment[] = Array.isArray(got) ? got : [got as Environment];
    if (list.length === 0) throw new Error("online protocol: no environment given");
    const N = list[0].N, K = list[0].K;
    for (const e of list) if (e.N !== N || e.K !== K) throw new Error(`online protocol: environments disagree on N, K (${e.N}, ${e.K} vs ${N}, ${K})`);
    NK = `N = ${N}, K = ${K}`;
    const P = list.length;
    const st = allocStates(P, N), out = new Int32Array(P * K);
    const lists = list.map((_, j) => out.subarray(j * K, (j + 1) * K));
    const cur: States[] = new Array(P);
    const epOf = new Int32Array(P), stepN = new Int32Array(P), total = new Float64Array(P), flagSum = new Float64Array(P);
    const active = new Int32Array(P);
    for (const policy of policiesFor(policies, seed)) {
      if (!reward.has(policy.name)) {
        names.push(policy.name);
        reward.set(policy.name, new UnitPool(C));
        flags.set(policy.name, new UnitPool(C));
        steps.set(policy.name, new UnitPool(C));
      }
      const envRng = new Rng(seed), prng = policyRng(seed, policy.name);
      let next = 0, done = 0;
      const start = (j: number): void => {
        epOf[j] = next++;
        stepN[j] = 0;
        total[j] = 0;
        flagSum[j] = 0;
        cur[j] = list[j].reset(envRng);
      };
      let A = 0;
      for (let j = 0; j < P && next < E; j++) {
        start(j);
        active[A++] = j;
      }
      while (A > 0) {
        for (let q = 0; q < A; q++) {
          st.tracks.set(cur[active[q]].tracks, q * N);
          st.kept.set(cur[active[q]].kept, q * N);
        }
        policy.recommend(stateRows(st, N, 0, A), A, K, out.subarray(0, A * K), prng);
        // out row q belongs to env active[q]: move rows into each env's list slot (descending q
        // never overwrites a row not yet moved, since active[q] >= q).
        for (let q = A - 1; q >= 0; q--) if (active[q] !== q) out.copyWithin(active[q] * K, q * K, (q + 1) * K);
        let A2 = 0;
        for (let q = 0; q < A; q++) {
          const j = active[q];
          const r = list[j].step(lists[j]);
          stepN[j]++;
          total[j] += r.reward;
          let f = 0;
          for (let k = 0; k < K; k++) f += r.rewards[k];
          flagSum[j] += f / K;
          if (r.done) {
            const c = si * E + epOf[j];
            reward.get(policy.name)!.addValue(c, total[j]);
            flags.get(policy.name)!.addValue(c, flagSum[j] / stepN[j]);
            steps.get(policy.name)!.addValue(c, stepN[j]);
            done++;
            if (next < E) {
              start(j);
              active[A2++] = j;
            }
          } else {
            if (stepN[j] >= maxSteps) throw new Error(`online protocol: episode ${epOf[j]} of policy ${policy.name} has not ended after ${maxSteps} steps`);
            cur[j] = r.next;
            active[A2++] = j;
          }
        }
        A = A2;
      }
      if (done !== E) throw new Error(`online protocol: ran ${done} of ${E} episodes`);
    }
  });
  const est = (m: Map<string, UnitPool>): Record<string, Estimate> => {
    const r: Record<string, Estimate> = {};
    for (const n of names) r[n] = m.get(n)!.estimate(bootstrap);
    return r;
  };
  return {
    protocol: "online",
    description: `Policies acting in ${opts.envLabel ?? "the environment"} (${NK}): ${E} episodes per seed, each policy replaying the same seeded episode starts; per-episode figures, bootstrapped over episodes.`,
    seeds,
    metrics: [
      metric("episode_reward", "Total list reward per episode", false, est(reward)),
      metric("reward_flags", "Mean per-slot reward per step (share not skipped)", false, est(flags), "per episode: mean over steps of the mean of the K per-slot rewards"),
      metric("episode_steps", "Steps per episode", false, est(steps)),
    ],
  };
}

// ---------------------------------------------------------------------------------------

export type ProtocolId = "original" | "next-tracks" | "online";

export interface EvaluateOptions extends ProtocolOptions {
  protocols: ProtocolId[];
  policies: PolicySource;
  /** Sessions and split for "original" and "next-tracks". */
  data?: EvalSessions;
  split?: EvalSplit;
  /** Environment(s) for "online". */
  env?: EnvSource;
  original?: Omit<OriginalOptions, keyof ProtocolOptions>;
  nextTracks?: Omit<NextTracksOptions, keyof ProtocolOptions>;
  online?: Omit<OnlineOptions, "seeds" | "bootstrap">;
}

/**
 * Runs the chosen protocols, in the order given, for the policies over the seeds. A policy
 * factory is called once per seed and its policies are shared by the protocols.
 */
export function evaluate(o: EvaluateOptions): ProtocolResult[] {
  const c = common(o);
  const cache = new Map<number, readonly Policy[]>();
  const policies: PolicySource = (seed) => {
    let p = cache.get(seed);
    if (!p) cache.set(seed, (p = policiesFor(o.policies, seed)));
    return p;
  };
  const base: ProtocolOptions = { seeds: c.seeds, N: c.N, K: c.K, batch: c.batch, bootstrap: c.bootstrap };
  const needData = (p: string): { data: EvalSessions; split: EvalSplit } => {
    if (!o.data || !o.split) throw new Error(`evaluate: protocol "${p}" needs data and split`);
    return { data: o.data, split: o.split };
  };
  return o.protocols.map((p) => {
    if (p === "original") {
      const { data, split } = needData(p);
      return runOriginal(data, split, policies, { ...o.original, ...base });
    }
    if (p === "next-tracks") {
      const { data, split } = needData(p);
      return runNextTracks(data, split, policies, { ...o.nextTracks, ...base });
    }
    if (p === "online") {
      if (!o.env) throw new Error('evaluate: protocol "online" needs env');
      return runOnline(o.env, policies, { ...o.online, seeds: c.seeds, bootstrap: c.bootstrap });
    }
    throw new Error(`evaluate: unknown protocol ${String(p)}`);
  });
}
