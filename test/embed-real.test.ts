// Track embeddings on the real MSSD slice (log_mini_100k, 5,956 sessions, 34,872 tracks):
// item2vec on a seeded 70/30 session split, then next-track hit rate@10 on the held-out
// sessions of "the 10 nearest neighbours (cosine) of the last track" against "the 10 most
// played training tracks", both excluding the tracks already in the session. Real files live
// beside the repository (never inside it); ENCORE_MSSD_DIR overrides the location.
import { HAVE_REAL_LOG, HAVE_REAL_TF, REAL_LOG, REAL_TF } from "./util/mssd.js";
import { describe, expect, it } from "vitest";

import { buildDataset, type MssdDataset } from "../src/data/dataset.js";
import { splitSessions } from "../src/data/split.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { TopK } from "../src/engine/topk.js";
import { buildEmbeddings, type BuiltEmbeddings } from "../src/embed/build.js";
import { PATH_ITEM2VEC } from "../src/embed/fallback.js";
import { loadEngine, releaseModule } from "./util/engine.js";

const LOG = REAL_LOG, TF = REAL_TF;
const haveReal = HAVE_REAL_LOG && HAVE_REAL_TF;
if (!haveReal) console.log(`skipping real-data embedding tests: ${LOG} or ${TF} not found`);

const K = 10;
const MAX_STATE = 19; // sessions have at most 20 tracks: at most 19 precede a next track
const DEPTH = K + MAX_STATE + 1; // neighbours fetched per query: K survive any state exclusion

interface HitRates { n: number; knn: number; pop: number; warmN: number; warmKnn: number; warmPop: number; nextSeen: number }

/**
 * Next-track hit rate@K over every transition (state = the session so far, last = its last
 * track) of the test sessions. Neighbour lists come from the wasm top-k kernel over all V rows
 * of E (unit rows, so dot = cosine), one query per distinct last-track row.
 */
async function hitRates(ds: MssdDataset, emb: BuiltEmbeddings, train: Int32Array, test: Int32Array): Promise<HitRates> {
  const { E, d, V } = emb;
  const plays = new Int32Array(V);
  for (const s of train) for (const t of ds.sessionTracks(s)) plays[t]++;
  const popular = Array.from({ length: V }, (_, t) => t).sort((a, b) => plays[b] - plays[a] || a - b).slice(0, DEPTH);

  // distinct query rows: learned and feature-mapped tracks are their own rows; every unknown-path
  // track shares one row (the same vector gives the same neighbours)
  const queryOf = new Int32Array(V).fill(-1);
  const queries: number[] = [];
  let unknownQuery = -1;
  for (const s of test) {
    const tr = ds.sessionTracks(s);
    for (let j = 0; j + 1 < tr.length; j++) {
      const t = tr[j];
      if (queryOf[t] >= 0) continue;
      if (emb.path[t] === 2) {
        if (unknownQuery < 0) { unknownQuery = queries.length; queries.push(t); }
        queryOf[t] = unknownQuery;
      } else { queryOf[t] = queries.length; queries.push(t); }
    }
  }
  const Q = 256;
  const plan = new MemoryPlan();
  const catalog = plan.f32("catalog", "data", V * d);
  const topk = new TopK(plan, { maxQ: Q, maxG: Q, maxK: DEPTH, maxD: d, maxX: 1, maxDistinctGroup: 0 });
  const engine = await loadEngine(plan);
  topk.bind(engine);
  catalog.f32().set(E);
  const lists = new Int32Array(queries.length * DEPTH);
  for (let q0 = 0; q0 < queries.length; q0 += Q) {
    const n = Math.min(Q, queries.length - q0);
    for (let i = 0; i < n; i++) {
      const t = queries[q0 + i];
      topk.queries.set(E.subarray(t * d, t * d + d), i * d);
      topk.exclusions[i] = q0 + i === unknownQuery ? -1 : t; // a track is not its own neighbour
    }
    topk.run(catalog.ptr, V, d, n, n, DEPTH, 1);
    lists.set(topk.indices.subarray(0, n * DEPTH), q0 * DEPTH);
  }

  const r: HitRates = { n: 0, knn: 0, pop: 0, warmN: 0, warmKnn: 0, warmPop: 0, nextSeen: 0 };
  const inState = new Uint8Array(V);
  const firstK = (list: ArrayLike<number>, next: number): boolean => {
    let taken = 0;
    for (let i = 0; i < list.length && taken < K; i++) {
      const t = list[i];
      if (t < 0 || inState[t]) continue;
      if (t === next) return true;
      taken++;
    }
    if (taken < K) throw new Error(`only ${taken} candidates left after excluding the state`);
    return false;
  };
  for (const s of test) {
    const tr = ds.sessionTracks(s);
    for (let j = 0; j + 1 < tr.length; j++) {
      inState[tr[j]] = 1;
      const last = tr[j], next = tr[j + 1];
      const knn = firstK(lists.subarray(queryOf[last] * DEPTH, (queryOf[last] + 1) * DEPTH), next);
      const pop = firstK(popular, next);
      r.n++;
      if (plays[next] > 0) r.nextSeen++;
      if (knn) r.knn++;
      if (pop) r.pop++;
      if (emb.path[last] === PATH_ITEM2VEC) {
        r.warmN++;
        if (knn) r.warmKnn++;
        if (pop) r.warmPop++;
      }
    }
    for (const t of tr) inState[t] = 0;
  }
  return r;
}

describe.skipIf(!haveReal)("embeddings on the real log_mini slice", { timeout: 120_000 }, () => {
  it("item2vec nearest neighbours of the last track vs most-popular: next-track hit rate@10 on a 70/30 session split", async () => {
    const ds = await buildDataset({ logs: [LOG], trackFeatures: [TF] }, { completeOnly: false });
    const split = splitSessions(ds.sessionCount, { trainFraction: 0.7, seed: 1 });
    const emb = await buildEmbeddings(ds, {
      kind: "item2vec", d: 32, seed: 1, wasm: releaseModule(), trainSessions: split.train,
      item2vec: { epochs: 5, minCount: 5, window: 5, subsample: 1e-3 },
    });
    const { counts } = emb;
    expect(counts.item2vec + counts.features + counts.unknown).toBe(ds.trackCount);
    const r = await hitRates(ds, emb, split.train, split.test);
    const pct = (a: number, b: number) => `${(100 * a / b).toFixed(2)}%`;
    console.log(`real slice: V ${ds.trackCount}, ${split.train.length} train / ${split.test.length} test sessions; `
      + `paths item2vec ${counts.item2vec}, features ${counts.features}, unknown ${counts.unknown}; ridge ${JSON.stringify(emb.report.ridge)}; `
      + `item2vec losses ${emb.report.item2vec!.losses.map((x) => x.toFixed(3)).join(" ")}, ${emb.report.item2vec!.seconds.toFixed(1)} s`);
    console.log(`real slice hit@10 over ${r.n} transitions (next track seen in training: ${pct(r.nextSeen, r.n)}): `
      + `item2vec-kNN ${pct(r.knn, r.n)} vs most-popular ${pct(r.pop, r.n)}; `
      + `last track learned (${r.warmN}): kNN ${pct(r.warmKnn, r.warmN)} vs popular ${pct(r.warmPop, r.warmN)}`);
    expect(r.knn).toBeGreaterThan(r.pop);
  });
});
