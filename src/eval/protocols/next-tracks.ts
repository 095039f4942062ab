// The chronological next-tracks protocol: for each position p = N .. m − K of a test session
// of m rows, the state is rows p−N .. p−1 (with their kept/skipped feedback) and the truth the
// K rows p .. p+K−1 (the tracks actually played next; samples.ts chronological samples).
// hit@K, kept_hit@K, precision@K, NDCG@K, kept_NDCG@K, novelty and diversity are averaged per
// session, then over sessions; skip rate among hits is pooled over hits (a hit takes the
// skip_2 of its first row in the truth); catalog coverage is distinct recommended tracks over
// the run / V (a corpus figure, bootstrapped over sessions with a shifted percentile interval,
// see bootstrapStatistic). A truth track that is also in the state can never be hit (policies
// exclude the state), for every policy alike. The kept metrics count a hit only on a truth
// track that was played and not skipped (metrics.ts); positions whose K next tracks were all
// skipped score 0 for every policy alike.
//
// Units are (session, seed) pairs, clustered by session. Headline: hit_rate@K,
// kept_hit_rate@K and kept_ndcg@K, with the agent's paired differences (./paired.ts).
//
// This file imports nothing from Node.
import { buildSamples } from "../../data/samples.js";
import type { Estimate, ProtocolResult } from "../types.js";
import { bootstrapStatistic, GrowingPool, UnitPool } from "../bootstrap.js";
import { DiversitySpace, hitAtK, keptHitAtK, keptNdcgAtK, ndcgAtK, novelty, precisionAtK } from "../metrics.js";
import type { Policy } from "../../core/policy.js";
import { audioSpace, cachedPolicies, checkSessions, clusterUnits, common, IntList, metric, pct, PolicyStreams, recommendAll, SpanProgress, type EvalCatalog, type EvalSessions, type EvalSplit, type PolicySource, type ProtocolOptions, type WorkSpan } from "./common.js";
import { pairedDifferences } from "./paired.js";

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
  checkSessions(data, split.test, "test");
  checkSessions(data, split.train, "train");
  // Novelty's popularity.
  let playCount = opts.playCount;
  if (!playCount) {
    playCount = new Int32Array(data.trackCount);
    for (let i = 0; i < split.train.length; i++) {
      const s = split.train[i];
      for (let r = data.sessionOffsets[s]; r < data.sessionOffsets[s + 1]; r++) playCount[data.tracks[r]]++;
    }
  }
  const run = new NextTracksRun(data, policies, { ...opts, playCount });
  run.add(data, split.test);
  return run.result();
}

type Key = "hit" | "keptHit" | "prec" | "ndcg" | "keptNdcg" | "skip" | "div" | "nov";

/**
 * The protocol's state over test sessions that come in chunks (all at once for
 * runNextTracks; shard by shard for a sharded dataset, ../stream.ts): add() evaluates one
 * chunk's test sessions with every policy under every seed, numbering their clusters after
 * the chunks before; result() bootstraps. The figures are those of one call over all the
 * sessions in the same order, bit for bit: every sum per session is made in the same order,
 * and each (seed, policy) keeps one random stream across chunks (a policy's draws per state
 * do not depend on how states are batched).
 *
 * Held between chunks: per policy, the session sums of the 8 pooled metrics (16 bytes each:
 * 128 bytes a session, whatever the seeds); per policy and seed, for catalog coverage, the
 * distinct tracks recommended in each session (4 bytes a track, plus 4 a session).
 */
export class NextTracksRun {
  private readonly c: ReturnType<typeof common>;
  private readonly progress: SpanProgress;
  private readonly policies: (seed: number) => readonly Policy[];
  private readonly V: number;
  private readonly playCount: Int32Array;
  private readonly totalPlays: number;
  readonly space: DiversitySpace | null;
  private readonly audio: DiversitySpace | null;
  private readonly names: string[] = [];
  private readonly pools = new Map<string, Record<Key, GrowingPool>>();
  /** Per policy, per seed: the distinct tracks recommended in each session (CSR over clusters). */
  private readonly recs = new Map<string, Map<number, { start: IntList; tracks: IntList }>>();
  /** Per policy, per seed: lists whose tracks all have diversity vectors. */
  private readonly withVec = new Map<string, Map<number, number>>();
  private readonly streams = new PolicyStreams();
  private mark: Int32Array;
  private stamp = 0;
  /** Test sessions (clusters) so far, those with a position, positions, positions without a kept next track. */
  private C = 0;
  private sessionsWithUnits = 0;
  private U = 0;
  private noKept = 0;

  constructor(catalog: EvalCatalog, policies: PolicySource, opts: NextTracksOptions & { playCount: Int32Array }) {
    this.c = common(opts);
    this.progress = new SpanProgress(opts.progress, this.c.seeds.length);
    this.policies = cachedPolicies(policies);
    const V = (this.V = catalog.trackCount);
    // Diversity space.
    const audio = (this.audio = audioSpace(catalog));
    const src = opts.diversitySource ?? "auto";
    let space: DiversitySpace | null = null;
    const emb = opts.embeddings ? DiversitySpace.embedding(opts.embeddings.E, V, opts.embeddings.d) : null;
    if (src === "audio") space = audio;
    else if (src === "embedding") {
      if (!emb) throw new Error('next-tracks protocol: diversitySource "embedding" needs embeddings');
      space = emb;
    } else space = audio && audio.countCovered() === V ? audio : emb ?? audio;
    this.space = space;
    const playCount = (this.playCount = opts.playCount);
    if (playCount.length !== V) throw new Error(`next-tracks protocol: playCount has ${playCount.length} tracks, the catalog ${V}`);
    let totalPlays = 0;
    for (let t = 0; t < V; t++) totalPlays += playCount[t];
    this.totalPlays = totalPlays;
    this.mark = new Int32Array(V);
  }

  /** Evaluates the test sessions `test` of `data` (ascending), as clusters C.. of the run; `span` is the share of the whole run's work they are. */
  add(data: EvalSessions, test: ArrayLike<number>, span: WorkSpan = { from: 0, to: 1 }): void {
    const { seeds, N, K, batch } = this.c;
    const V = this.V, space = this.space, playCount = this.playCount, totalPlays = this.totalPlays;
    if (data.trackCount !== V) throw new Error(`next-tracks protocol: a chunk over ${data.trackCount} tracks, the run's catalog ${V}`);
    checkSessions(data, test, "test");
    const C = test.length, base = this.C;
    const smp = buildSamples(data, test, { N, K, mode: "chronological" });
    const U = smp.count;
    const S = data.sessionOffsets.length - 1;
    const clusterOf = new Int32Array(S).fill(-1);
    for (let c = 0; c < C; c++) clusterOf[test[c]] = c;
    const unitCluster = new Int32Array(U);
    for (let i = 0; i < U; i++) unitCluster[i] = clusterOf[smp.session[i]];
    const unitsOfCluster = clusterUnits(unitCluster, C);
    for (let c = 0; c < C; c++) if (unitsOfCluster.start[c + 1] > unitsOfCluster.start[c]) this.sessionsWithUnits++;
    // rows whose K next tracks were all skipped: no kept truth, 0 for every policy in the kept metrics
    for (let i = 0; i < U; i++) {
      let any = 0;
      for (let j = 0; j < K; j++) any |= smp.rewards[i * K + j];
      if (!any) this.noKept++;
    }

    const acc = { n: new Float64Array(C), hit: new Float64Array(C), keptHit: new Float64Array(C), keptNdcg: new Float64Array(C), prec: new Float64Array(C), ndcg: new Float64Array(C), skipped: new Float64Array(C), hits: new Float64Array(C), divSum: new Float64Array(C), divN: new Float64Array(C), nov: new Float64Array(C) };
    const out = new Int32Array(U * K);
    const runs = seeds.length * Math.max(1, this.policies(seeds[0]).length);
    let run = 0;
    const at = (f: number): void => this.progress.at(span.from + (span.to - span.from) * Math.min(1, (run + f) / runs));
    for (const [si, seed] of seeds.entries()) {
      const list = this.policies(seed);
      this.progress.plan(list.length);
      for (const policy of list) {
        const rng = this.streams.get(seed, policy.name);
        recommendAll(policy, { tracks: smp.states, kept: smp.stateKept }, U, N, K, out, rng, batch, V, (done) => at(done / Math.max(1, U)));
        if (!this.pools.has(policy.name)) {
          this.names.push(policy.name);
          this.pools.set(policy.name, { hit: new GrowingPool(), keptHit: new GrowingPool(), keptNdcg: new GrowingPool(), prec: new GrowingPool(), ndcg: new GrowingPool(), skip: new GrowingPool(), div: new GrowingPool(), nov: new GrowingPool() });
          this.recs.set(policy.name, new Map());
          this.withVec.set(policy.name, new Map());
        }
        const recs = this.recs.get(policy.name)!;
        let r = recs.get(si);
        if (!r) {
          recs.set(si, (r = { start: new IntList(), tracks: new IntList() }));
          for (let c = 0; c <= base; c++) r.start.push(0);
        }
        this.collectDistinct(r, out, unitsOfCluster, C, K);
        for (const a of Object.values(acc)) a.fill(0);
        let withVec = 0;
        for (let i = 0; i < U; i++) {
          const c = unitCluster[i], o = i * K;
          acc.n[c]++;
          acc.hit[c] += hitAtK(out, o, K, smp.actions, o, K);
          acc.prec[c] += precisionAtK(out, o, K, smp.actions, o, K);
          acc.ndcg[c] += ndcgAtK(out, o, K, smp.actions, o, K);
          acc.keptHit[c] += keptHitAtK(out, o, K, smp.actions, smp.rewards, o, K);
          acc.keptNdcg[c] += keptNdcgAtK(out, o, K, smp.actions, smp.rewards, o, K);
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
        const wv = this.withVec.get(policy.name)!;
        wv.set(si, (wv.get(si) ?? 0) + withVec);
        const p = this.pools.get(policy.name)!;
        for (let c = 0; c < C; c++) {
          const n = acc.n[c];
          if (n === 0) continue;
          const g = base + c;
          p.hit.addValue(g, acc.hit[c] / n);
          p.prec.addValue(g, acc.prec[c] / n);
          p.ndcg.addValue(g, acc.ndcg[c] / n);
          p.keptHit.addValue(g, acc.keptHit[c] / n);
          p.keptNdcg.addValue(g, acc.keptNdcg[c] / n);
          p.nov.addValue(g, acc.nov[c] / n);
          p.skip.add(g, acc.skipped[c], acc.hits[c]);
          if (acc.divN[c] > 0) p.div.addValue(g, acc.divSum[c] / acc.divN[c]);
        }
        run++;
        at(0);
      }
    }
    this.C += C;
    this.U += U;
  }

  /** Appends each of the chunk's C sessions' distinct recommended tracks (what coverage reads). */
  private collectDistinct(r: { start: IntList; tracks: IntList }, out: Int32Array, units: { start: Int32Array; units: Int32Array }, C: number, K: number): void {
    const mark = this.mark;
    for (let c = 0; c < C; c++) {
      this.stamp++;
      for (let q = units.start[c]; q < units.start[c + 1]; q++) {
        const i = units.units[q];
        for (let k = 0; k < K; k++) {
          const t = out[i * K + k];
          if (mark[t] !== this.stamp) {
            mark[t] = this.stamp;
            r.tracks.push(t);
          }
        }
      }
      r.start.push(r.tracks.length);
    }
  }

  /** The protocol's result over every session added. */
  result(): ProtocolResult {
    const { seeds, N, K, bootstrap, agent } = this.c;
    const V = this.V, space = this.space, audio = this.audio, names = this.names, pools = this.pools;
    const C = this.C, U = this.U, sessionsWithUnits = this.sessionsWithUnits;
    this.progress.end();
    const est = (key: Key): Record<string, Estimate> => {
      const r: Record<string, Estimate> = {};
      for (const n of names) r[n] = pools.get(n)![key].toPool(C).estimate(bootstrap);
      return r;
    };
    // Coverage: distinct recommended tracks over the sessions drawn, mean over seeds, / V.
    const mark = this.mark;
    const coverage: Record<string, Estimate> = {};
    for (const n of names) {
      const recs = [...this.recs.get(n)!].sort((a, b) => a[0] - b[0]).map(([, r]) => ({ start: r.start.view(), tracks: r.tracks.view() }));
      for (const r of recs) if (r.start.length !== C + 1) throw new Error(`next-tracks protocol: policy ${n} was not run on every chunk`);
      coverage[n] = bootstrapStatistic(
        C,
        (w) => {
          let sum = 0;
          for (const r of recs) {
            this.stamp++;
            let distinct = 0;
            for (let c = 0; c < C; c++) {
              if (w[c] === 0) continue;
              for (let q = r.start[c]; q < r.start[c + 1]; q++) {
                const t = r.tracks[q];
                if (mark[t] !== this.stamp) {
                  mark[t] = this.stamp;
                  distinct++;
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
    const listsWith = new Map<string, number>();
    for (const n of names) for (const [, w] of [...this.withVec.get(n)!].sort((a, b) => a[0] - b[0])) listsWith.set(n, (listsWith.get(n) ?? 0) + w / Math.max(1, U) / seeds.length);
    const noKept = this.noKept;
    const divShare = names.map((n) => `${n} ${pct(listsWith.get(n) ?? 0)}`).join(", ");
    const divNote = !space
      ? "no track features or embeddings: diversity not computed"
      : space.kind === "audio"
        ? `1 − mean pairwise cosine over the 8 audio features, over lists whose ${K} tracks all have them (share of lists: ${divShare}; ${space.countCovered()} of ${V} tracks have features)`
        : `1 − mean pairwise cosine over the learned track embeddings (d = ${space.D}): audio features cover ${audio ? audio.countCovered() : 0} of ${V} tracks only`;
    const poolsOf = (key: Key): Map<string, UnitPool> => new Map(names.map((n) => [n, pools.get(n)![key].toPool(C)]));
    const keptNote = `${pct(U > 0 ? noKept / U : 0)} of positions have no kept track among the next ${K} (all skipped): they count as 0 for every policy alike`;
    return {
      protocol: "next-tracks",
      unit: "session",
      description:
        `Chronological next-track prediction on held-out sessions: at every position p >= ${N} with ${K} rows left, the state is the ${N} previous tracks and the ${K} recommendations ` +
        `are compared with the ${K} tracks played next; per-session means, then the mean over ${sessionsWithUnits} sessions (${U} positions).`,
      seeds,
      headline: [`hit_rate@${K}`, `kept_hit_rate@${K}`, `kept_ndcg@${K}`],
      paired: pairedDifferences(agent, [
        { metric: `hit_rate@${K}`, direction: "higher", pools: poolsOf("hit") },
        { metric: `kept_hit_rate@${K}`, direction: "higher", pools: poolsOf("keptHit") },
        { metric: `kept_ndcg@${K}`, direction: "higher", pools: poolsOf("keptNdcg") },
      ], bootstrap),
      metrics: [
        metric(`hit_rate@${K}`, `Hit rate@${K}`, "higher", est("hit"), `a list hits when any of its ${K} tracks is among the next ${K} played`),
        metric(`kept_hit_rate@${K}`, `Kept hit rate@${K}`, "higher", est("keptHit"), `a hit only on a track among the next ${K} that was played and not skipped (skip_2 false); ${keptNote}`),
        metric(`precision@${K}`, `Precision@${K}`, "higher", est("prec")),
        metric(`ndcg@${K}`, `NDCG@${K}`, "higher", est("ndcg"), "binary relevance, 1/log2(rank + 1) discount"),
        metric(`kept_ndcg@${K}`, `Kept NDCG@${K}`, "higher", est("keptNdcg"), `relevance 1 only for next tracks played and not skipped, ideal DCG over those; ${keptNote}`),
        metric("skip_rate_hits", "Skip rate among hits", "lower", est("skip"), "pooled over hit tracks (skip_2 of the row they hit); sessions without hits carry no weight"),
        metric("coverage", "Catalog coverage", "higher", coverage, `distinct recommended tracks over the run / ${V} tracks (mean over seeds); interval: bootstrap over sessions, percentile interval shifted to the full-run figure`),
        metric("diversity", `Intra-list diversity (${space ? space.kind : "none"})`, "higher", est("div"), divNote),
        metric("novelty", "Novelty (mean −log2 popularity share)", "higher", est("nov"), "self-information of recommended tracks under add-one smoothed training play shares"),
      ],
    };
  }
}
