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
import { GrowingPool, UnitPool } from "../bootstrap.js";
import type { DiversitySpace } from "../metrics.js";
import type { Policy } from "../../core/policy.js";
import { audioSpace, cachedPolicies, checkSessions, common, IntList, metric, pct, PolicyStreams, recommendAll, SpanProgress, type EvalCatalog, type EvalSessions, type EvalSplit, type PolicySource, type ProtocolOptions, type WorkSpan } from "./common.js";
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
  checkSessions(data, split.test, "test");
  const run = new OriginalRun(data, policies, opts);
  for (let r = 0; r < run.rounds; r++) run.add(r, data, split.test, { from: r / run.rounds, to: (r + 1) / run.rounds });
  return run.result();
}

/** One (seed, policy)'s sums per session (cluster), kept across rounds: skipped, known, unknown and all recommendations, diversity sum and lists. */
interface Sums {
  skipped: Float64Array;
  known: Float64Array;
  unk: Float64Array;
  recs: Float64Array;
  divSum: Float64Array;
  divN: Float64Array;
}

/**
 * The protocol's state over test sessions that come in chunks (all at once for runOriginal;
 * shard by shard for a sharded dataset, ../stream.ts). The states of round r are drawn after
 * every state of round r − 1 (one random stream per seed, as the original's loop over
 * rounds), so add(round, …) is called for every chunk, in order, for round 0, then for every
 * chunk for round 1, and so on; result() bootstraps. The figures are those of one call over
 * all the sessions, bit for bit: the same draws, each (seed, policy) keeping one random stream
 * across calls, and every per-session sum made in the same order.
 *
 * Held between calls, per policy and seed: 6 numbers a test session (48 bytes), and per
 * session once, its logged skip and diversity sums (32 bytes).
 */
export class OriginalRun {
  readonly rounds: number;
  private readonly c: ReturnType<typeof common>;
  private readonly progress: SpanProgress;
  private readonly policies: (seed: number) => readonly Policy[];
  private readonly V: number;
  private readonly space: DiversitySpace | null;
  private readonly logged: boolean;
  private readonly names: string[] = [];
  /** Per policy, per seed index: its sums per cluster. */
  private readonly sums = new Map<string, Map<number, Sums>>();
  private readonly stateRng = new Map<number, Rng>();
  private readonly streams = new PolicyStreams();
  /** Eligible clusters (sessions of at least N rows) in order, over every chunk of round 0. */
  private readonly eligible = new IntList();
  private readonly loggedSkip = new GrowingPool();
  private readonly loggedDiv = new GrowingPool();
  private loggedLists = 0;
  private loggedWith = 0;
  private round = 0;
  /** Whether any add() came (a run over no chunk at all has no session). */
  private added = false;
  /** Clusters numbered so far in the current round, and the count round 0 ended with. */
  private base = 0;
  private C = -1;
  private scratch = new Int32Array(64);

  constructor(catalog: EvalCatalog, policies: PolicySource, opts: OriginalOptions = {}) {
    this.c = common(opts);
    this.progress = new SpanProgress(opts.progress, this.c.seeds.length);
    this.rounds = opts.rounds ?? 2;
    this.logged = opts.logged ?? true;
    if (!(Number.isInteger(this.rounds) && this.rounds >= 1)) throw new Error(`original protocol: rounds must be a positive integer, got ${this.rounds}`);
    this.policies = cachedPolicies(policies);
    this.V = catalog.trackCount;
    this.space = opts.diversity ?? audioSpace(catalog);
  }

  /** Round `round` over the test sessions `test` of `data` (ascending), the chunk after the ones before in this round; `span` is the share of the whole run's work it is. */
  add(round: number, data: EvalSessions, test: ArrayLike<number>, span: WorkSpan = { from: 0, to: 1 }): void {
    const { seeds, N, K, batch } = this.c;
    const V = this.V, space = this.space;
    if (data.trackCount !== V) throw new Error(`original protocol: a chunk over ${data.trackCount} tracks, the run's catalog ${V}`);
    if (!(Number.isInteger(round) && round >= 0 && round < this.rounds)) throw new Error(`original protocol: round ${round} outside 0..${this.rounds - 1}`);
    if (round !== this.round) {
      if (round !== this.round + 1) throw new Error(`original protocol: round ${round} after round ${this.round} (rounds come in order)`);
      if (this.C < 0) this.C = this.base;
      else if (this.base !== this.C) throw new Error(`original protocol: round ${this.round} saw ${this.base} test sessions, round 0 ${this.C}`);
      this.round = round;
      this.base = 0;
    }
    checkSessions(data, test, "test");
    this.added = true;
    const off = data.sessionOffsets, tracks = data.tracks, flags = data.flags;
    const C = test.length, base = this.base;
    // Sessions long enough for a state of N rows.
    const eligible: number[] = [];
    for (let c = 0; c < C; c++) if (off[test[c] + 1] - off[test[c]] >= N) eligible.push(c);
    if (round === 0) for (const c of eligible) this.eligible.push(base + c);
    const U = eligible.length;
    const st = allocStates(U, N), states = st.tracks, out = new Int32Array(U * K), unitCluster = new Int32Array(U);
    const runs = seeds.length * Math.max(1, this.policies(seeds[0]).length);
    let run = 0;
    const at = (f: number): void => this.progress.at(span.from + (span.to - span.from) * Math.min(1, (run + f) / runs));
    for (const [si, seed] of seeds.entries()) {
      // The states: the same for every policy under this seed.
      let rng = this.stateRng.get(si);
      if (!rng) this.stateRng.set(si, (rng = new Rng(seed)));
      let u = 0;
      for (const c of eligible) {
        const a = off[test[c]], m = off[test[c] + 1] - a;
        if (m > this.scratch.length) this.scratch = new Int32Array(2 * m);
        const scratch = this.scratch;
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
      const list = this.policies(seed);
      this.progress.plan(list.length);
      for (const policy of list) {
        const prng = this.streams.get(seed, policy.name);
        recommendAll(policy, st, U, N, K, out, prng, batch, V, (done) => at(done / Math.max(1, U)));
        if (!this.sums.has(policy.name)) {
          this.names.push(policy.name);
          this.sums.set(policy.name, new Map());
        }
        const bySeed = this.sums.get(policy.name)!;
        let p = bySeed.get(si);
        if (!p) bySeed.set(si, (p = { skipped: new Float64Array(64), known: new Float64Array(64), unk: new Float64Array(64), recs: new Float64Array(64), divSum: new Float64Array(64), divN: new Float64Array(64) }));
        if (p.skipped.length < base + C) {
          let n = p.skipped.length;
          while (n < base + C) n *= 2;
          for (const k of Object.keys(p) as (keyof Sums)[]) {
            const b = new Float64Array(n);
            b.set(p[k]);
            p[k] = b;
          }
        }
        for (let v = 0; v < U; v++) {
          const c = unitCluster[v], g = base + c, a = off[test[c]], b = off[test[c] + 1];
          for (let k = 0; k < K; k++) {
            const t = out[v * K + k];
            let row = -1;
            for (let r = a; r < b; r++) {
              if (tracks[r] === t) {
                row = r;
                break;
              }
            }
            p.recs[g]++;
            if (row < 0) p.unk[g]++;
            else {
              p.known[g]++;
              if (flags[row] & LOG_FLAG.skip_2) p.skipped[g]++;
            }
          }
          if (space) {
            const d = space.listDiversity(out, v * K, K);
            if (!Number.isNaN(d)) {
              p.divSum[g] += d;
              p.divN[g]++;
            }
          }
        }
        run++;
        at(0);
      }
    }
    if (round === 0 && this.logged) {
      for (const c of eligible) {
        const a = off[test[c]], b = off[test[c] + 1], g = base + c;
        let sk = 0;
        for (let r = a; r < b; r++) if (flags[r] & LOG_FLAG.skip_2) sk++;
        this.loggedSkip.add(g, sk, b - a);
        let ds = 0, dn = 0, lists = 0;
        for (let r = a; r + K <= b; r += K) {
          lists++;
          const d = space ? space.listDiversity(tracks, r, K) : NaN;
          if (!Number.isNaN(d)) {
            ds += d;
            dn++;
          }
        }
        this.loggedDiv.add(g, ds, dn);
        this.loggedWith += dn;
        this.loggedLists += lists;
      }
    }
    this.base += C;
  }

  /** The protocol's result over every session added, once every round is in. */
  result(): ProtocolResult {
    const { seeds, N, K, bootstrap, agent } = this.c;
    const V = this.V, space = this.space, rounds = this.rounds;
    if (this.added && this.round !== rounds - 1) throw new Error(`original protocol: ${this.round + 1} of ${rounds} rounds run`);
    if (this.C >= 0 && this.base !== this.C) throw new Error(`original protocol: round ${this.round} saw ${this.base} test sessions, round 0 ${this.C}`);
    const C = this.base, eligible = this.eligible.view();
    this.progress.end();
    const skip: Record<string, Estimate> = {}, unknown: Record<string, Estimate> = {}, diversity: Record<string, Estimate> = {};
    const listsWith: Record<string, [number, number]> = {};
    const pools = new Map<string, { skip: UnitPool; unknown: UnitPool; div: UnitPool }>();
    for (const name of this.names) pools.set(name, { skip: new UnitPool(C), unknown: new UnitPool(C), div: new UnitPool(C) });
    // the units in the order one pass adds them: seed by seed, each policy's sessions
    for (const [si] of seeds.entries()) {
      for (const name of this.names) {
        const p = this.sums.get(name)!.get(si);
        if (!p) continue;
        const pool = pools.get(name)!;
        const lw = (listsWith[name] ??= [0, 0]);
        for (const c of eligible) {
          pool.skip.add(c, p.skipped[c], p.known[c]);
          pool.unknown.add(c, p.unk[c], p.recs[c]);
          pool.div.add(c, p.divSum[c], p.divN[c]);
          lw[0] += p.divN[c];
          lw[1] += rounds;
        }
      }
    }
    for (const [name, p] of pools) {
      skip[name] = p.skip.estimate(bootstrap);
      unknown[name] = p.unknown.estimate(bootstrap);
      diversity[name] = p.div.estimate(bootstrap);
    }
    const skipPools = new Map<string, UnitPool>();
    for (const [name, p] of pools) skipPools.set(name, p.skip);
    if (this.logged) {
      const ps = this.loggedSkip.toPool(C), pd = this.loggedDiv.toPool(C);
      skipPools.set("logged", ps);
      if (eligible.length > 0) listsWith.logged = [this.loggedWith, this.loggedLists];
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
}
