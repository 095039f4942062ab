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
import { bootstrapStatistic, UnitPool } from "../bootstrap.js";
import { DiversitySpace, hitAtK, keptHitAtK, keptNdcgAtK, ndcgAtK, novelty, precisionAtK } from "../metrics.js";
import { audioSpace, checkSessions, clusterUnits, common, metric, pct, policiesFor, policyRng, recommendAll, RunCounter, type EvalSessions, type EvalSplit, type PolicySource, type ProtocolOptions } from "./common.js";
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
  const { seeds, N, K, batch, bootstrap, agent } = common(opts);
  const progress = new RunCounter(opts.progress, seeds.length);
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
  type Key = "hit" | "keptHit" | "prec" | "ndcg" | "keptNdcg" | "skip" | "div" | "nov";
  const pools = new Map<string, Record<Key, UnitPool>>();
  const recsBySeed = new Map<string, Int32Array[]>();
  const acc = { n: new Float64Array(C), hit: new Float64Array(C), keptHit: new Float64Array(C), keptNdcg: new Float64Array(C), prec: new Float64Array(C), ndcg: new Float64Array(C), skipped: new Float64Array(C), hits: new Float64Array(C), divSum: new Float64Array(C), divN: new Float64Array(C), nov: new Float64Array(C) };
  const listsWith = new Map<string, number>();
  for (const seed of seeds) {
    const list = policiesFor(policies, seed);
    progress.plan(list.length);
    for (const policy of list) {
      const out = new Int32Array(U * K);
      recommendAll(policy, { tracks: smp.states, kept: smp.stateKept }, U, N, K, out, policyRng(seed, policy.name), batch, V, (done) => progress.at(done / Math.max(1, U)));
      if (!pools.has(policy.name)) {
        names.push(policy.name);
        pools.set(policy.name, { hit: new UnitPool(C), keptHit: new UnitPool(C), keptNdcg: new UnitPool(C), prec: new UnitPool(C), ndcg: new UnitPool(C), skip: new UnitPool(C), div: new UnitPool(C), nov: new UnitPool(C) });
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
      listsWith.set(policy.name, (listsWith.get(policy.name) ?? 0) + withVec / Math.max(1, U) / seeds.length);
      const p = pools.get(policy.name)!;
      for (let c = 0; c < C; c++) {
        const n = acc.n[c];
        if (n === 0) continue;
        p.hit.addValue(c, acc.hit[c] / n);
        p.prec.addValue(c, acc.prec[c] / n);
        p.ndcg.addValue(c, acc.ndcg[c] / n);
        p.keptHit.addValue(c, acc.keptHit[c] / n);
        p.keptNdcg.addValue(c, acc.keptNdcg[c] / n);
        p.nov.addValue(c, acc.nov[c] / n);
        p.skip.add(c, acc.skipped[c], acc.hits[c]);
        if (acc.divN[c] > 0) p.div.addValue(c, acc.divSum[c] / acc.divN[c]);
      }
      progress.next();
    }
  }
  const est = (key: Key): Record<string, Estimate> => {
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
  const poolsOf = (key: Key): Map<string, UnitPool> => new Map(names.map((n) => [n, pools.get(n)![key]]));
  // rows whose K next tracks were all skipped: no kept truth, 0 for every policy in the kept metrics
  let noKept = 0;
  for (let i = 0; i < U; i++) {
    let any = 0;
    for (let j = 0; j < K; j++) any |= smp.rewards[i * K + j];
    if (!any) noKept++;
  }
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
