// Host wrapper of the top-k scoring kernels (assembly/topk.ts, topk_scan.ts, topk_select.ts): how a
// recommendation list is built from the actor's K weight vectors per listener (Zhao et al. 2018,
// LIRD: score_k(i) = w_k · e_i, slot k takes the best track not already chosen and not already
// heard), optionally with a per-track bias: score_k(i) = w_k · e_i + qb[k] · b[i].
//
// Set-up: construct a TopK on a MemoryPlan with capacities before the Engine loads; it
// registers its regions (queries, exclusions, outputs, workspace sized by the kernel's own pure
// topk_workspace_bytes). After Engine.load, bind(engine) once; then per call: write queries and
// exclusions (and, with a bias, the per-query bias weights) into the views, call run() with a
// catalog (and bias vector) already inside wasm memory, read the
// results from the views. run() checks every shape on the host (a clear Error, never a wasm
// trap) and allocates nothing.
//
// Threads: on the worker-thread engine (Engine.load with threads > 1) a call over at least
// 2·parallelMinRows catalog rows is split by rows: each thread scans its contiguous range into
// its own heaps (topk_part_f32, on its own workspace), and the calling thread merges the parts'
// candidates (topk_merge_f32). The selection's order (score descending, index ascending) is
// total, so the result is exactly the one-thread result, bit for bit, whatever the split.
//
// Semantics (per query vector q of Q, in G groups of Kg = Q/G consecutive vectors):
//   indices[q·k + s], scores[q·k + s], s = 0..k-1: the k best tracks by score = dot(w_q, e_i)
//   (f32), or with a bias score = dot(w_q, e_i) + queryBias[q]·b[i] (the product rounded to f32,
//   then added), best first, ties by lower index. A NaN bias makes the row's score NaN. A group's exclusions are never returned. With
//   `distinct`, no track appears twice within a group (query j skips the tracks queries 0..j-1
//   took). A track whose score is NaN is never returned; ±Infinity are ordinary scores. Slots
//   with no valid track left (k larger than the tracks available) get index -1 and score NaN.
//   k = 0 reads nothing.
//
// No `node:` imports: this runs in browsers and edge runtimes too.

import type { Engine } from "./engine.js";
import type { ThreadPool } from "./threads.js";
import type { EngineExports } from "./kernels.js";
import type { MemoryPlan, Region } from "./plan.js";

export interface TopKCapacity {
  /** Most query vectors per call (Q). */
  maxQ: number;
  /** Most groups per call (G). */
  maxG: number;
  /** Most results per query vector (k). */
  maxK: number;
  /** Largest embedding size (D). */
  maxD: number;
  /** Most exclusion slots per group (X); 0 when never excluding. */
  maxX: number;
  /**
   * Largest group (Q/G vectors) run with distinct = true: the workspace keeps k·(j+1)
   * candidates for the j-th vector of a group. Default maxQ; 0 when distinct is never used.
   */
  maxDistinctGroup?: number;
}

const I32_MAX = 2147483647;

function checkInt(what: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new Error(`topk: ${what} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

function checkDisjoint(at: number, bytes: number, r: Region, what = "catalog"): void {
  if (bytes > 0 && r.byteLength > 0 && at < r.ptr + r.byteLength && r.ptr < at + bytes) {
    throw new Error(`topk: ${what} [${at}, ${at + bytes}) overlaps region '${r.name}', which the kernel writes`);
  }
}

export class TopK {
  /** Queries (Q, D) f32, row-major with the call's D as stride: query q at [q·D, q·D + D). */
  readonly queryRegion: Region;
  /** Exclusions (G, X) i32 with the call's X as stride: group g at [g·X, g·X + X), -1 = padding. */
  readonly exclusionRegion: Region;
  /** Per-query bias weights qb (Q) f32, read by run() only when it is given a bias vector. */
  readonly queryBiasRegion: Region;
  /** Results (Q, k) with the call's k as stride: query q's best at [q·k, q·k + k). */
  readonly indexRegion: Region;
  readonly scoreRegion: Region;
  /** One workspace per engine thread, `workspaceStride` bytes apart (thread 0's first). */
  readonly workspaceRegion: Region;
  /** The parts' candidates of a split call (threads > 1 only; empty on one thread). */
  readonly candidateIndexRegion: Region;
  readonly candidateScoreRegion: Region;
  readonly cap: Readonly<Required<TopKCapacity>>;
  /** Bytes between two threads' workspaces (set when the plan is laid out). */
  workspaceStride = 0;
  /** A call is split across threads only when every thread gets at least this many catalog rows. */
  parallelMinRows = 16384;
  /** How many parts the last run() was split into (1: not split). */
  lastParts = 1;
  private pool: ThreadPool | null = null;
  private threads = 1;

  private x: EngineExports | null = null;
  private memory: WebAssembly.Memory | null = null;
  private _queries: Float32Array | null = null;
  private _exclusions: Int32Array | null = null;
  private _queryBias: Float32Array | null = null;
  private _indices: Int32Array | null = null;
  private _scores: Float32Array | null = null;

  constructor(plan: MemoryPlan, capacity: TopKCapacity, readonly name = "topk") {
    const c = capacity;
    checkInt(`${name} capacity maxQ`, c.maxQ, 1, I32_MAX);
    checkInt(`${name} capacity maxG`, c.maxG, 1, c.maxQ);
    checkInt(`${name} capacity maxK`, c.maxK, 0, I32_MAX);
    checkInt(`${name} capacity maxD`, c.maxD, 1, I32_MAX);
    checkInt(`${name} capacity maxX`, c.maxX, 0, I32_MAX);
    const group = c.maxDistinctGroup ?? c.maxQ;
    checkInt(`${name} capacity maxDistinctGroup`, group, 0, c.maxQ);
    this.cap = { ...c, maxDistinctGroup: group };

    this.queryRegion = plan.f32(`${name}.queries`, "io", c.maxQ * c.maxD);
    this.exclusionRegion = plan.i32(`${name}.exclusions`, "io", c.maxG * c.maxX);
    this.queryBiasRegion = plan.f32(`${name}.queryBias`, "io", c.maxQ);
    this.indexRegion = plan.i32(`${name}.indices`, "io", c.maxQ * c.maxK);
    this.scoreRegion = plan.f32(`${name}.scores`, "io", c.maxQ * c.maxK);
    // The workspace grows with Q, k, D and the group size (distinct), never with G otherwise: the
    // largest call fills groups of maxDistinctGroup vectors up to at least maxQ vectors.
    const m = group;
    const Gw = m > 0 ? Math.ceil(c.maxQ / m) : 1;
    const Qw = m > 0 ? Gw * m : c.maxQ;
    this.workspaceRegion = plan.region(`${name}.workspace`, "scratch", (x, ctx) => {
      const bytes = x.topk_workspace_bytes(Qw, Gw, c.maxK, c.maxD, m > 0 ? 1 : 0);
      if (bytes > I32_MAX) throw new Error(`${name}: the workspace for maxQ ${c.maxQ}, maxK ${c.maxK}, maxD ${c.maxD}, maxDistinctGroup ${m} exceeds 2 GiB; lower the capacities`);
      this.workspaceStride = Math.ceil(bytes / 16) * 16;
      return this.workspaceStride * ctx.threads;
    });
    // The largest call's candidates per part (distinct groups keep k·(j+1) per vector), per thread.
    const candidates = (x: EngineExports, ctx: { threads: number }): number => ctx.threads > 1 ? ctx.threads * x.topk_candidates(Qw, Gw, c.maxK, m > 0 ? 1 : 0) * 4 : 0;
    this.candidateIndexRegion = plan.region(`${name}.candidateIndices`, "scratch", candidates);
    this.candidateScoreRegion = plan.region(`${name}.candidateScores`, "scratch", candidates);
  }

  /** Attach to the engine the plan was loaded into (once, after Engine.load). */
  bind(engine: Engine): this {
    if (engine.plan !== this.queryRegion.plan) throw new Error(`${this.name}: bind() needs the engine loaded from this TopK's memory plan`);
    this.x = engine.x;
    this.memory = engine.memory;
    this.pool = engine.pool;
    this.threads = engine.threads;
    this._queries = this.queryRegion.f32();
    this._exclusions = this.exclusionRegion.i32();
    this._queryBias = this.queryBiasRegion.f32();
    this._indices = this.indexRegion.i32();
    this._scores = this.scoreRegion.f32();
    return this;
  }

  /** Query vectors to fill before run(): (Q, D) row-major, stride D. */
  get queries(): Float32Array { return this.bound(this._queries); }
  /** Exclusions to fill before run(): (G, X) row-major, stride X, -1 for unused slots. */
  get exclusions(): Int32Array { return this.bound(this._exclusions); }
  /** Per-query bias weights to fill before a run() with a bias: (Q), queryBias[q] scales b for query q. */
  get queryBias(): Float32Array { return this.bound(this._queryBias); }
  /** Result track indices of the last run(): (Q, k), stride k; -1 for empty slots. */
  get indices(): Int32Array { return this.bound(this._indices); }
  /** Result scores of the last run(): (Q, k), stride k; NaN for empty slots. */
  get scores(): Float32Array { return this.bound(this._scores); }

  /**
   * Score the Q query vectors in `queries` against the catalog E (N, D) f32 row-major at byte
   * address `catalog` in the engine's memory and write the top k of each into `indices`/`scores`.
   * Queries form G groups of Q/G consecutive vectors; group g excludes exclusions[g·X .. g·X+X).
   * `bias`: byte address of a per-track bias b (N) f32 in the engine's memory, or 0 (the default)
   * for none; with it, query q's scores add queryBias[q]·b[i] (fill `queryBias` first).
   */
  run(catalog: number, N: number, D: number, Q: number, G: number, k: number, X = 0, distinct = false, bias = 0): void {
    const x = this.x, memory = this.memory;
    if (x === null || memory === null) throw new Error(`${this.name}: call bind(engine) after Engine.load before run()`);
    const c = this.cap;
    checkInt("catalog rows N", N, 0, I32_MAX);
    checkInt(`D (capacity maxD ${c.maxD})`, D, 1, c.maxD);
    checkInt(`query count Q (capacity maxQ ${c.maxQ})`, Q, 0, c.maxQ);
    checkInt(`group count G (capacity maxG ${c.maxG})`, G, 1, c.maxG);
    if (Q % G !== 0) throw new Error(`topk: Q = ${Q} query vectors do not split into G = ${G} equal groups`);
    checkInt(`k (capacity maxK ${c.maxK})`, k, 0, c.maxK);
    checkInt(`exclusions per group X (capacity maxX ${c.maxX})`, X, 0, c.maxX);
    if (typeof distinct !== "boolean") throw new Error(`topk: distinct must be a boolean, got ${String(distinct)}`);
    if (distinct && Q / G > c.maxDistinctGroup) {
      throw new Error(`topk: distinct groups of ${Q / G} vectors exceed the capacity maxDistinctGroup ${c.maxDistinctGroup}`);
    }
    const bytes = N * D * 4;
    if (!Number.isInteger(catalog) || catalog < 0 || catalog % 4 !== 0) {
      throw new Error(`topk: catalog must be a 4-byte aligned byte address in wasm memory, got ${catalog}`);
    }
    if (catalog + bytes > memory.buffer.byteLength) {
      throw new Error(`topk: catalog (${N} x ${D} f32 at ${catalog}) ends at byte ${catalog + bytes}, past the engine memory (${memory.buffer.byteLength} bytes)`);
    }
    checkDisjoint(catalog, bytes, this.workspaceRegion);
    checkDisjoint(catalog, bytes, this.indexRegion);
    checkDisjoint(catalog, bytes, this.scoreRegion);
    if (!Number.isInteger(bias) || bias < 0 || bias % 4 !== 0) {
      throw new Error(`topk: bias must be 0 (none) or a 4-byte aligned byte address in wasm memory, got ${bias}`);
    }
    if (bias !== 0) {
      if (bias + N * 4 > memory.buffer.byteLength) {
        throw new Error(`topk: bias (${N} f32 at ${bias}) ends at byte ${bias + N * 4}, past the engine memory (${memory.buffer.byteLength} bytes)`);
      }
      checkDisjoint(bias, N * 4, this.workspaceRegion, "bias");
      checkDisjoint(bias, N * 4, this.indexRegion, "bias");
      checkDisjoint(bias, N * 4, this.scoreRegion, "bias");
    }
    const need = x.topk_workspace_bytes(Q, G, k, D, distinct ? 1 : 0);
    if (need > this.workspaceStride) {
      throw new Error(`topk: this call needs ${need} workspace bytes, the region has ${this.workspaceStride} per thread (capacities too small)`);
    }
    const ex = this._exclusions!;
    for (let i = 0, n = G * X; i < n; i++) {
      const v = ex[i];
      if (v < -1 || v >= N) {
        throw new Error(`topk: exclusions[group ${Math.floor(i / X)}][${i % X}] = ${v} is not a track index in [0, ${N}) nor -1 (padding)`);
      }
    }
    for (const r of [this.candidateIndexRegion, this.candidateScoreRegion]) checkDisjoint(catalog, bytes, r);
    if (bias !== 0) for (const r of [this.candidateIndexRegion, this.candidateScoreRegion]) checkDisjoint(bias, N * 4, r, "bias");
    const T = Math.min(this.threads, Math.floor(N / Math.max(1, this.parallelMinRows)));
    const qbias = bias !== 0 ? this.queryBiasRegion.ptr : 0;
    this.lastParts = T < 2 || k === 0 || Q === 0 ? 1 : T;
    if (T < 2 || k === 0 || Q === 0) {
      x.topk_f32(catalog, N, D, this.queryRegion.ptr, Q, G, k, this.exclusionRegion.ptr, X,
        distinct ? 1 : 0, this.indexRegion.ptr, this.scoreRegion.ptr, this.workspaceRegion.ptr, bias, qbias);
      return;
    }
    this.runParts(T, catalog, N, D, Q, G, k, X, distinct ? 1 : 0, bias, qbias);
  }

  // The split call: T contiguous row ranges (boundaries multiples of 16 rows), thread t scanning
  // range t into candidate block t on workspace t; thread 0 (this one) takes the first range while
  // the workers run, then merges.
  private runParts(T: number, catalog: number, N: number, D: number, Q: number, G: number, k: number, X: number,
                   distinct: number, bias: number, qbias: number): void {
    const x = this.x!, pool = this.pool!;
    const H = x.topk_candidates(Q, G, k, distinct);
    const ci = this.candidateIndexRegion.ptr, cs = this.candidateScoreRegion.ptr, ws = this.workspaceRegion.ptr;
    if (T * H * 4 > this.candidateIndexRegion.byteLength) throw new Error(`topk: ${T} parts of ${H} candidates exceed the candidate region (${this.candidateIndexRegion.byteLength} bytes)`);
    const bound = (t: number): number => (t >= T ? N : Math.floor((N * t) / T / 16) * 16);
    for (let t = T - 1; t >= 1; t--) {
      const a = pool.args(t - 1);
      a[0] = catalog; a[1] = N; a[2] = D; a[3] = this.queryRegion.ptr; a[4] = Q; a[5] = G; a[6] = k;
      a[7] = this.exclusionRegion.ptr; a[8] = X; a[9] = distinct; a[10] = bound(t); a[11] = bound(t + 1);
      a[12] = ci + t * H * 4; a[13] = cs + t * H * 4; a[14] = ws + t * this.workspaceStride; a[15] = bias; a[16] = qbias;
      pool.start(t - 1, "topk_part_f32", 17);
    }
    let error: unknown = null;
    try {
      x.topk_part_f32(catalog, N, D, this.queryRegion.ptr, Q, G, k, this.exclusionRegion.ptr, X, distinct,
        0, bound(1), ci, cs, ws, bias, qbias);
    } catch (e) {
      error = e;
    }
    for (let t = 1; t < T; t++) {
      try { pool.wait(t - 1); } catch (e) { error ??= e; }
    }
    if (error) throw error;
    x.topk_merge_f32(Q, G, k, distinct, T, ci, cs, this.indexRegion.ptr, this.scoreRegion.ptr, ws);
  }

  private bound<T>(v: T | null): T {
    if (v === null) throw new Error(`${this.name}: call bind(engine) after Engine.load first`);
    return v;
  }
}
