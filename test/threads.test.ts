// The worker-thread engine (src/engine/threads.ts on the shared-memory build): results identical
// to one thread, bit for bit, whatever the split.
//
// Top-k: every case runs on a one-thread engine (the build under test, private memory) and on a
// three-thread engine (the shared build of the same SIMD, two Node worker_threads), whose TopK is
// told to split any call (parallelMinRows = 1), so catalogs of 2 rows up split into 2 or 3 parts,
// some empty. Indices and scores must be equal (NaN padding included) with and without groups,
// exclusions, distinct groups, a per-track bias (NaN and infinite entries too), ties everywhere.
// Top-k split by listener groups (rows too few to split): the same comparison.
// GEMM: Engine.gemm split into column or row panels against the kernel on one thread, bit for bit;
// Engine.denseForward split into row panels likewise.
// And: a worker's trap comes back as the caller's Error, the pool still works after it; missing
// shared memory or workers fall back to one thread, saying so once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../src/engine/engine.js";
import { MemoryPlan, type Region } from "../src/engine/plan.js";
import { TopK } from "../src/engine/topk.js";
import { Rng } from "../src/rng.js";
import { engineModule, loadEngine, sharedEngineModule } from "./util/engine.js";
import { nodeThreads } from "../src/engine/node-threads.js";
import { topkRef } from "./reference/topk.js";
import { Item2Vec } from "../src/embed/item2vec.js";
import { clusteredSessions, topNeighbours } from "./util/sessions.js";

const CAP = { maxQ: 16, maxG: 16, maxK: 40, maxD: 40, maxX: 8 };
const MAX_N = 50_000;

interface Side { engine: Engine; topk: TopK; catalog: Region; bias: Region; a: Region; b: Region; c: Region }

async function side(threads: number): Promise<Side> {
  const plan = new MemoryPlan();
  const topk = new TopK(plan, CAP);
  const catalog = plan.f32("t.catalog", "data", MAX_N * CAP.maxD);
  const bias = plan.f32("t.bias", "data", MAX_N);
  const a = plan.f32("t.a", "io", 600 * 600), b = plan.f32("t.b", "io", 600 * 600), c = plan.f32("t.c", "io", 600 * 600);
  const engine = await loadEngine(plan, { threads });
  topk.bind(engine);
  topk.parallelMinRows = 1;
  engine.gemmParallelMin = 0;
  return { engine, topk, catalog, bias, a, b, c };
}

let one: Side, three: Side;
beforeAll(async () => {
  one = await side(1);
  three = await side(3);
}, 60_000);
afterAll(() => three?.engine.close());

interface Case {
  E: Float32Array; N: number; D: number; W: Float32Array; Q: number; G: number; k: number;
  excl: Int32Array; X: number; distinct: boolean; b?: Float32Array; qb?: Float32Array;
}

function run(s: Side, c: Case): { idx: Int32Array; score: Float32Array; parts: number } {
  s.catalog.f32().set(c.E);
  s.topk.queries.set(c.W);
  s.topk.exclusions.set(c.excl);
  if (c.b) { s.bias.f32().set(c.b); s.topk.queryBias.set(c.qb!); }
  s.topk.run(s.catalog.ptr, c.N, c.D, c.Q, c.G, c.k, c.X, c.distinct, c.b ? s.bias.ptr : 0);
  return { idx: s.topk.indices.slice(0, c.Q * c.k), score: s.topk.scores.slice(0, c.Q * c.k), parts: s.topk.lastParts };
}

function makeCase(rng: Rng, N: number, D: number, Q: number, G: number, k: number, X: number, distinct: boolean, bias: boolean, ints: boolean): Case {
  const val = () => (ints ? rng.int(5) - 2 : rng.normal());
  const E = new Float32Array(N * D).map(val), W = new Float32Array(Q * D).map(val);
  const excl = new Int32Array(G * X).map(() => (N === 0 || rng.int(4) === 0 ? -1 : rng.int(N)));
  const c: Case = { E, N, D, W, Q, G, k, excl, X, distinct };
  if (bias) {
    c.b = new Float32Array(N).map(() => { const r = rng.int(40); return r === 0 ? NaN : r === 1 ? Infinity : r === 2 ? -Infinity : ints ? rng.int(3) : rng.normal(); });
    c.qb = new Float32Array(Q).map(() => (ints ? rng.int(3) - 1 : rng.normal()));
  }
  return c;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe("top-k on three threads equals one thread, bit for bit", () => {
  it("sweeps catalog sizes, query counts (every scan path), groups, k, exclusions, distinct, bias", () => {
    const rng = new Rng(14);
    const Ns = [0, 1, 2, 15, 17, 33, 100, 1000, 4099];
    const Qs: [number, number][] = [[1, 1], [2, 1], [3, 1], [5, 1], [8, 2], [11, 1], [16, 4], [16, 16]];
    let cases = 0, split = 0;
    for (const N of Ns) {
      for (const [Q, G] of Qs) {
        const D = [1, 3, 4, 7, 32, 33][rng.int(6)];
        const k = [1, 3, 10, N + 2][rng.int(4)] % (CAP.maxK + 1);
        const X = rng.int(CAP.maxX + 1);
        const distinct = rng.int(2) === 1 && Q / G <= CAP.maxQ;
        const c = makeCase(rng, N, D, Q, G, k, X, distinct, rng.int(2) === 1, rng.int(2) === 1);
        const r1 = run(one, c), r3 = run(three, c);
        const what = `N=${N} D=${D} Q=${Q} G=${G} k=${k} X=${X} distinct=${distinct} bias=${!!c.b}`;
        expect(same(r3.idx, r1.idx), `${what}: indices`).toBe(-1);
        expect(same(r3.score, r1.score), `${what}: scores`).toBe(-1);
        expect(r1.parts).toBe(1);
        if (r3.parts > 1) split++;
        cases++;
      }
    }
    expect(split).toBeGreaterThan(cases * 0.6); // the split path really ran
  }, 120_000);

  it("a 50,000-row catalog of integer scores (ties across the parts' boundaries), with and without distinct and bias", () => {
    const rng = new Rng(7);
    for (const [distinct, bias] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const c = makeCase(rng, MAX_N, 16, 6, 2, 20, 5, distinct, bias, true);
      const r1 = run(one, c), r3 = run(three, c);
      expect(r3.parts).toBe(3);
      expect(same(r3.idx, r1.idx), `distinct=${distinct} bias=${bias}: indices`).toBe(-1);
      expect(same(r3.score, r1.score), `distinct=${distinct} bias=${bias}: scores`).toBe(-1);
      // and the one-thread result is the reference's (integer data: exact in f32)
      const ref = topkRef(c.E, c.N, c.D, c.W, c.Q, c.G, c.k, c.excl, c.X, c.distinct, c.b ? { b: c.b, qb: c.qb! } : undefined);
      expect(Array.from(r1.idx)).toEqual(ref.indices);
    }
  }, 120_000);

  it("split by listener groups (catalogs too small to split by rows): every group count, k, exclusions, distinct, bias", () => {
    const rng = new Rng(15);
    three.topk.parallelMinRows = 1 << 30;
    three.topk.parallelMinWork = 0;
    try {
      let groups = 0;
      for (const N of [0, 1, 17, 100, 1000, 4099]) {
        for (const [Q, G] of [[1, 1], [2, 2], [3, 3], [6, 2], [9, 3], [15, 5], [16, 4], [16, 16], [14, 7]] as [number, number][]) {
          const D = [1, 3, 7, 32, 33][rng.int(5)];
          const k = [1, 3, 10, N + 2][rng.int(4)] % (CAP.maxK + 1);
          const X = rng.int(CAP.maxX + 1);
          const c = makeCase(rng, N, D, Q, G, k, X, rng.int(2) === 1, rng.int(2) === 1, rng.int(2) === 1);
          const r1 = run(one, c), r3 = run(three, c);
          const what = `N=${N} D=${D} Q=${Q} G=${G} k=${k} X=${X} distinct=${c.distinct} bias=${!!c.b}`;
          expect(same(r3.idx, r1.idx), `${what}: indices`).toBe(-1);
          expect(same(r3.score, r1.score), `${what}: scores`).toBe(-1);
          const want = k === 0 || Q === 0 || N === 0 || G < 2 ? "none" : "groups"; // an empty catalog is no work
          expect(three.topk.lastSplit, what).toBe(want);
          if (want === "groups") {
            expect(r3.parts).toBe(Math.min(3, G));
            groups++;
          }
        }
      }
      expect(groups).toBeGreaterThan(30);
    } finally {
      three.topk.parallelMinRows = 1;
      three.topk.parallelMinWork = 1 << 21;
    }
  }, 120_000);

  it("the merge kernel alone: parts that hold every candidate give topk_f32's result", () => {
    // Two parts over the same rows would double-count; parts over disjoint ranges are what the host makes.
    const rng = new Rng(3);
    const c = makeCase(rng, 999, 8, 3, 1, 7, 2, true, false, false);
    const r1 = run(one, c);
    const x = one.engine.x, H = x.topk_candidates(3, 1, 7, 1);
    expect(H).toBe(7 * 3 * 4 / 2);
    expect(x.topk_candidates(6, 3, 5, 0)).toBe(30);
    expect(() => x.topk_candidates(5, 2, 1, 0)).toThrow(/topk_candidates: invalid shapes/);
    expect(() => x.topk_part_f32(one.catalog.ptr, 10, 8, one.topk.queryRegion.ptr, 3, 1, 7, 0, 0, 0, 5, 11, 0, 0, one.topk.workspaceRegion.ptr, 0, 0))
      .toThrow(/topk_part_f32: rows \[r0, r1\) not inside \[0, N\)/);
  });
});

describe("GEMM split into panels equals one thread, bit for bit", () => {
  it("nn, nt, tn; column panels (N ≥ M) and row panels (M > N); overwrite and accumulate", () => {
    const rng = new Rng(11);
    const shapes: [number, number, number][] = [[1, 1, 1], [3, 17, 5], [17, 3, 9], [64, 256, 320], [130, 65, 33], [257, 600, 64], [600, 40, 70], [31, 8, 513]];
    for (const [M, N, K] of shapes) {
      for (const form of ["nn", "nt", "tn"] as const) {
        for (const acc of [false, true]) {
          const A = new Float32Array(M * K).map(() => rng.normal()), B = new Float32Array(K * N).map(() => rng.normal());
          const C0 = new Float32Array(M * N).map(() => rng.normal());
          const lda = form === "tn" ? M : K, ldb = form === "nt" ? K : N;
          const out: Float32Array[] = [];
          for (const s of [one, three]) {
            s.a.f32().set(A); s.b.f32().set(B); s.c.f32().set(C0);
            s.engine.gemm(form, M, N, K, s.a.ptr, lda, s.b.ptr, ldb, s.c.ptr, N, acc);
            out.push(s.c.f32().slice(0, M * N));
          }
          expect(same(out[1], out[0]), `${form} ${M}x${N}x${K} acc=${acc}`).toBe(-1);
        }
      }
    }
  });

  it("dense forward split into row panels equals the kernel on one thread (odd shapes, every activation, with and without bias)", () => {
    const rng = new Rng(12);
    const calls = three.engine.pool!.calls("dense_forward");
    for (const [B, I, O] of [[1, 3, 5], [7, 9, 3], [9, 33, 17], [13, 5, 1], [64, 320, 256], [130, 65, 33], [37, 1, 41]] as [number, number, number][]) {
      for (const act of [0, 1, 2, 3]) {
        for (const withBias of [false, true]) {
          const inp = new Float32Array(B * I).map(() => rng.normal()), w = new Float32Array(I * O).map(() => rng.normal());
          const bias = new Float32Array(O).map(() => rng.normal());
          const out: Float32Array[] = [];
          for (const s of [one, three]) {
            s.a.f32().set(inp); s.b.f32().set(w); s.c.f32().fill(7); s.bias.f32().set(bias);
            s.engine.denseForward(B, I, O, s.a.ptr, s.b.ptr, withBias ? s.bias.ptr : 0, s.c.ptr, act);
            out.push(s.c.f32().slice(0, B * O + 3)); // and nothing written past the B rows
          }
          expect(same(out[1], out[0]), `${B}x${I}x${O} act=${act} bias=${withBias}`).toBe(-1);
          expect(Array.from(out[0].subarray(B * O))).toEqual([7, 7, 7]);
        }
      }
    }
    expect(three.engine.pool!.calls("dense_forward")).toBeGreaterThan(calls);
  });

  it("one thread's engine.gemm is the kernel itself; small products stay on the calling thread", () => {
    expect(one.engine.threads).toBe(1);
    expect(three.engine.threads).toBe(3);
    expect(three.engine.shared).toBe(true);
    expect(one.engine.shared).toBe(false);
    expect(() => three.engine.gemm("xx" as "nn", 1, 1, 1, 0, 1, 0, 1, 0, 1)).toThrow(/form must be/);
  });
});

describe("thread pool", () => {
  it("a kernel that traps on a worker throws its message on the caller, and the pool keeps working", () => {
    const pool = three.engine.pool!;
    const a = pool.args(0);
    a.fill(0); a[0] = -1; a[1] = 1; a[2] = 1; a[4] = 1; a[6] = 1; a[8] = 1; a[10] = three.engine.gemmWorkspaceOf(1);
    pool.start(0, "gemm_f32_nn", 11);
    expect(() => pool.wait(0)).toThrow(/encore engine \(thread 1\): gemm_f32_nn: negative size/);
    // still serving
    three.a.f32().set([2]); three.b.f32().set([3]);
    a[0] = 1; a[3] = three.a.ptr; a[5] = three.b.ptr; a[7] = three.c.ptr; a[9] = 0;
    pool.start(0, "gemm_f32_nn", 11);
    pool.wait(0);
    expect(three.c.f32()[0]).toBe(6);
  });

  it("falls back to one thread, saying so once, without workers or with a private-memory build", async () => {
    const notices: string[] = [];
    const onNotice = (m: string) => notices.push(m);
    const e1 = await Engine.load(sharedEngineModule(), new MemoryPlan(), { threads: 2, onNotice });
    expect(e1.threads).toBe(1);
    const e2 = await Engine.load(engineModule(), new MemoryPlan(), { threads: 2, threadWorker: nodeThreads, onNotice });
    expect(e2.threads).toBe(1);
    expect(notices).toEqual(["encore: running on one thread, not 2: no way to start engine threads was given (the threadWorker option)"]);
    await expect(Engine.load(engineModule(), new MemoryPlan(), { threads: 0 })).rejects.toThrow(/threads: expected an integer from 1 to 256, got 0/);
  });
});

describe("item2vec on the worker-thread engine", () => {
  const { sessions, V, cluster } = clusteredSessions(1, 2000, 8, 40, 0.1, 12);
  const options = { epochs: 3, seed: 5 };
  async function trainOn(threads: number, hogwild = false): Promise<{ E: Float32Array; losses: number[]; engine: Engine }> {
    const plan = new MemoryPlan();
    const model = new Item2Vec(plan, V, { d: 32, negatives: 5, batchPairs: 1024 });
    const engine = await loadEngine(plan, { threads });
    const r = model.train(sessions, { ...options, hogwild });
    return { E: model.embeddings().slice(), losses: r.losses, engine };
  }
  function purity(E: Float32Array): number {
    const valid = new Uint8Array(V).fill(1);
    for (let t = 8 * 40; t < V; t++) valid[t] = 0;
    let within = 0, total = 0;
    for (let t = 0; t < 8 * 40; t++) for (const i of topNeighbours(E, 32, V, t, 10, valid)) { total++; if (cluster[i] === cluster[t]) within++; }
    return within / total;
  }

  it("two threads (one worker applying batches while this thread draws the next) give one thread's bytes", async () => {
    const a = await trainOn(1), b = await trainOn(2);
    expect(b.engine.threads).toBe(2);
    expect(b.losses).toEqual(a.losses);
    expect(same(b.E, a.E)).toBe(-1);
    b.engine.close();
  }, 60_000);

  it("three threads without hogwild still give one thread's bytes (one worker applies, one draws)", async () => {
    const a = await trainOn(1), c = await trainOn(3);
    expect(same(c.E, a.E)).toBe(-1);
    c.engine.close();
  }, 60_000);

  it("three threads with hogwild (two workers on the shared tables) train as well as one", async () => {
    const a = await trainOn(1), c = await trainOn(3, true);
    expect(c.engine.threads).toBe(3);
    const la = a.losses[a.losses.length - 1], lc = c.losses[c.losses.length - 1];
    expect(Math.abs(lc - la)).toBeLessThan(0.02 * la);
    expect(purity(c.E)).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs(purity(c.E) - purity(a.E))).toBeLessThan(0.05);
    c.engine.close();
  }, 60_000);
});
