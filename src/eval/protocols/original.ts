// The original DDPG project's offline protocol, reproduced as it was defined (its notebook's
// test_actor): for each held-out test session and each of `rounds` (2) rounds, the state is
// N = 10 rows drawn at random, without replacement, from the whole session, kept in the order
// drawn; each policy lists K = 3 tracks. A recommended track that appears in the session is
// "known" and takes the skip_2 of its first row there; the others are "unknown". Skip rate =
// skipped known / known, pooled over all lists (1 − the mean rating, as the original computed
// it); unknown share = unknown / recommended (neutral: it describes how much of a list the
// protocol can judge, it does not rank policies); diversity = mean over lists of 1 − mean
// pairwise cosine of the 8 audio features (only lists whose K tracks all have features count;
// the note gives the share). Differences from the original, forced by the Policy contract:
// recommendations never repeat a state track (the original's actor could recommend a track of
// the state, which was then always "known").
//
// "logged" reference: the skip rate of the test sessions' own rows and the diversity of their
// consecutive non-overlapping K-track lists (rows 0..K−1, K..2K−1, …; the original's baseline
// skip rate was over all sessions' rows).
//
// Units are (session, seed) pairs, clustered by session. Headline: skip_rate, with the agent's
// paired differences against every policy and against "logged" over the sessions where both
// have known recommendations (./paired.ts).
//
// This file imports nothing from Node.
import { Rng } from "../../rng.js";
import { LOG_FLAG } from "../../data/log-parser.js";
import { allocStates } from "../../core/state.js";
import type { Estimate, ProtocolResult } from "../types.js";
import { UnitPool } from "../bootstrap.js";
import type { DiversitySpace } from "../metrics.js";
import { audioSpace, checkSessions, common, metric, pct, policiesFor, policyRng, recommendAll, RunCounter, type EvalSessions, type EvalSplit, type PolicySource, type ProtocolOptions } from "./common.js";
import { pairedDifferences } from "./paired.js";

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
  const { seeds, N, K, batch, bootstrap, agent } = common(opts);
  const progress = new RunCounter(opts.progress, seeds.length);
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
    const list = policiesFor(policies, seed);
    progress.plan(list.length);
    for (const policy of list) {
      recommendAll(policy, st, U, N, K, out, policyRng(seed, policy.name), batch, V, (done) => progress.at(done / Math.max(1, U)));
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
      progress.next();
    }
  }
  for (const [name, p] of pools) {
    skip[name] = p.skip.estimate(bootstrap);
    unknown[name] = p.unknown.estimate(bootstrap);
    diversity[name] = p.div.estimate(bootstrap);
  }
  const skipPools = new Map<string, UnitPool>();
  for (const [name, p] of pools) skipPools.set(name, p.skip);
  if (logged) {
    const ps = new UnitPool(C), pd = new UnitPool(C);
    skipPools.set("logged", ps);
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
    unit: "session",
    seeds,
    headline: ["skip_rate"],
    paired: pairedDifferences(agent, [{ metric: "skip_rate", direction: "lower", pools: skipPools }], bootstrap),
    metrics: [
      metric("skip_rate", "Skip rate of recommended tracks (known)", "lower", skip, "pooled over recommended tracks found in the session (their first row's skip_2); logged: over the test sessions' rows"),
      metric("unknown", "Share of recommended tracks not in the session", "neutral", unknown, "recommendations with no logged outcome; the skip rate is over the others (neither better nor worse: it says how much of a list the protocol can judge)"),
      metric("diversity", "Intra-list diversity (8 audio features)", "higher", diversity, divNote),
    ],
  };
}
