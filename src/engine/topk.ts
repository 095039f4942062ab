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
// total, so the result is exactly the one-thread result, bit for bit, whatever the split. A call
// over fewer rows but for several listeners (groups), with at least parallelMinWork multiply-adds
// per thread, is split by groups instead: each thread runs the whole top-k of its listeners
// (an evaluation's batch of states); groups are independent, so this too is the one-thread result.
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
// int8 (either build scans with i16 dot products; the relaxed build's 7-bit relaxed dot is an
// opt-in, CatalogI8.preferRelaxedDot): a CatalogI8 holds an int8 copy of a catalog (a quarter of its bytes, symmetric
// per-dimension scales), built at load by build() from the f32 catalog in wasm memory (files do
// not carry it). TopK.runI8(copy, …) scans the copy with integer dot products, bounds each row's
// quantisation error per query, and re-ranks the rows that can still reach the top exactly in f32
// (assembly/topk_i8.ts): its results are run()'s, bit for bit — ties, NaN rows, exclusions, the
// bias and distinct groups included. A TopK that runs it needs `int8: true` in its capacity (a
// larger workspace). Rebuild the copy whenever the f32 catalog changes: runI8 cannot see that.
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
  /** Size the workspace for runI8 too (the int8 catalog scan); default false. */
  int8?: boolean;
}

export interface CatalogI8Capacity {
  /** Most catalog rows (N). */
  maxN: number;
  /** Largest embedding size (D). */
  maxD: number;
  /**
   * Most rows holding a NaN or an infinity the copy lists (each scored exactly by every call);
   * a catalog with more builds no usable copy and runI8 then runs the f32 scan. Default 4096.
   */
  maxSpecial?: number;
}

/**
 * An int8 copy of an f32 catalog in wasm memory (assembly/topk_i8.ts: codes in groups of 4 rows,
 * per-dimension scales and residual bounds, the list of rows with a NaN or an infinity). Regions
 * are registered on the plan before Engine.load; build() fills them from a catalog after it.
 */
export class CatalogI8 {
  readonly codeRegion: Region;
  readonly metaRegion: Region;
  readonly specialRegion: Region;
  /** The 5-i32 descriptor topk_i8 reads: codes, meta, special, special count, relaxed dot (1) or i16 (0). */
  readonly descriptorRegion: Region;
  readonly cap: Readonly<Required<CatalogI8Capacity>>;
  /** What the last build() quantised: catalog address, rows, size, and the special rows' count. */
  catalog = -1;
  N = 0;
  D = 0;
  specialRows = 0;
  /**
   * Whether this engine computed i32x4.relaxed_dot_i8x16_i7x16_add_s exactly when probed at bind()
   * (relaxed build only; always false on SIMD128).
   */
  relaxedDot = false;
  /**
   * Scan with that relaxed dot (set before build(); used only where relaxedDot is true). Off by
   * default: the lowering is the engine's and may differ between its compiler tiers — Node 20's
   * V8 was measured computing 2·dot without the accumulator in its baseline tier (Liftoff) and
   * exactly in its optimising one, so a probe cannot vouch for the tier a hot kernel runs in.
   * Turn it on only where every tier is known sound (e.g. V8 run with --no-liftoff).
   */
  preferRelaxedDot = false;
  private x: EngineExports | null = null;
  private memory: WebAssembly.Memory | null = null;

  constructor(plan: MemoryPlan, capacity: CatalogI8Capacity, readonly name = "catalogI8") {
    checkInt(`${name} capacity maxN`, capacity.maxN, 0, I32_MAX);
    checkInt(`${name} capacity maxD`, capacity.maxD, 1, I32_MAX);
    const maxSpecial = capacity.maxSpecial ?? 4096;
    checkInt(`${name} capacity maxSpecial`, maxSpecial, 0, I32_MAX);
    this.cap = { ...capacity, maxSpecial };
    this.codeRegion = plan.region(`${name}.codes`, "data", (x) => {
      const bytes = x.catalog_i8_bytes(capacity.maxN, capacity.maxD);
      if (bytes > I32_MAX) throw new Error(`${name}: the int8 copy of ${capacity.maxN} x ${capacity.maxD} exceeds 2 GiB`);
      return bytes;
    });
    this.metaRegion = plan.region(`${name}.meta`, "data", (x) => x.catalog_i8_meta_bytes(capacity.maxD));
    this.specialRegion = plan.i32(`${name}.special`, "data", Math.max(1, maxSpecial));
    this.descriptorRegion = plan.i32(`${name}.descriptor`, "data", 5);
  }

  /** Attach to the engine the plan was loaded into (once, after Engine.load). */
  bind(engine: Engine): this {
    if (engine.plan !== this.codeRegion.plan) throw new Error(`${this.name}: bind() needs the engine loaded from this copy's memory plan`);
    this.x = engine.x;
    this.memory = engine.memory;
    // values passed in, never constants: see topk_i8_dot_ok
    this.relaxedDot = engine.x.topk_i8_dot_ok(-127, 126, 1000) === 1;
    return this;
  }

  /** Whether the last build() gave a copy runI8 can scan (at most maxSpecial special rows). */
  get usable(): boolean {
    return this.catalog >= 0 && this.specialRows <= this.cap.maxSpecial;
  }

  /**
   * Quantise the catalog E (N, D) f32 at byte address `catalog` into this copy (one pass to find
   * each dimension's largest |value|, one to write the codes and measure the residuals). Returns
   * the count of rows holding a NaN or an infinity.
   */
  build(catalog: number, N: number, D: number): number {
    const x = this.x, memory = this.memory;
    if (x === null || memory === null) throw new Error(`${this.name}: call bind(engine) after Engine.load before build()`);
    checkInt(`${this.name}: catalog rows N (capacity maxN ${this.cap.maxN})`, N, 0, this.cap.maxN);
    checkInt(`${this.name}: D (capacity maxD ${this.cap.maxD})`, D, 1, this.cap.maxD);
    if (!Number.isInteger(catalog) || catalog < 0 || catalog % 4 !== 0) {
      throw new Error(`${this.name}: catalog must be a 4-byte aligned byte address in wasm memory, got ${catalog}`);
    }
    if (catalog + N * D * 4 > memory.buffer.byteLength) {
      throw new Error(`${this.name}: catalog (${N} x ${D} f32 at ${catalog}) ends past the engine memory (${memory.buffer.byteLength} bytes)`);
    }
    for (const r of [this.codeRegion, this.metaRegion, this.specialRegion, this.descriptorRegion]) checkDisjoint(catalog, N * D * 4, r);
    const ns = x.quantize_catalog_i8(catalog, N, D, this.codeRegion.ptr, this.metaRegion.ptr, this.specialRegion.ptr, this.cap.maxSpecial);
    const d = this.descriptorRegion.i32();
    d[0] = this.codeRegion.ptr; d[1] = this.metaRegion.ptr; d[2] = this.specialRegion.ptr; d[3] = Math.min(ns, this.cap.maxSpecial);
    d[4] = this.relaxedDot && this.preferRelaxedDot ? 1 : 0;
    this.catalog = catalog; this.N = N; this.D = D; this.specialRows = ns;
    return ns;
  }
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
  /**
   * A call too small in rows for that, but with several groups, is split by groups when it has at
   * least this many multiply-adds (Q·N·D) per thread: each thread scans the whole catalog for its
   * own listeners (an evaluation's batch of states against a modest catalog).
   */
  parallelMinWork = 1 << 21;
  /** How many parts the last run() was split into (1: not split). */
  lastParts = 1;
  /** How the last run() was split: by catalog rows, by groups of queries, or not at all. */
  lastSplit: "rows" | "groups" | "none" = "none";
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
    this.cap = { ...c, maxDistinctGroup: group, int8: c.int8 ?? false };

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
      const bytes = c.int8 ? x.topk_i8_workspace_bytes(Qw, Gw, c.maxK, c.maxD, m > 0 ? 1 : 0)
        : x.topk_workspace_bytes(Qw, Gw, c.maxK, c.maxD, m > 0 ? 1 : 0);
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
    this.exec(null, catalog, N, D, Q, G, k, X, distinct, bias);
  }

  /**
   * run()'s result, bit for bit, from the int8 copy of the same catalog (copy.build(catalog, N, D)
   * after the catalog's last change): the same arguments, plus the copy. A copy that is not usable
   * (more special rows than its capacity) runs the f32 scan. Needs `int8: true` in the capacity.
   */
  runI8(copy: CatalogI8, catalog: number, N: number, D: number, Q: number, G: number, k: number, X = 0, distinct = false, bias = 0): void {
    if (!(copy instanceof CatalogI8)) throw new Error(`topk: runI8 needs a CatalogI8, got ${String(copy)}`);
    if (!this.cap.int8) throw new Error(`${this.name}: runI8 needs a TopK built with int8: true in its capacity (its workspace is larger)`);
    if (copy.catalog < 0) throw new Error(`topk: the int8 copy '${copy.name}' was never built (call build(catalog, N, D) first)`);
    if (copy.catalog !== catalog || copy.N !== N || copy.D !== D) {
      throw new Error(`topk: the int8 copy '${copy.name}' was built from ${copy.N} x ${copy.D} at ${copy.catalog}, not this call's ${N} x ${D} at ${catalog}`);
    }
    if (copy.codeRegion.plan !== this.queryRegion.plan) throw new Error(`topk: the int8 copy '${copy.name}' lives in another engine's memory`);
    this.exec(copy.usable ? copy : null, catalog, N, D, Q, G, k, X, distinct, bias);
  }

  private exec(copy: CatalogI8 | null, catalog: number, N: number, D: number, Q: number, G: number, k: number, X: number, distinct: boolean, bias: number): void {
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
    const need = copy ? x.topk_i8_workspace_bytes(Q, G, k, D, distinct ? 1 : 0) : x.topk_workspace_bytes(Q, G, k, D, distinct ? 1 : 0);
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
    const Tg = Math.min(this.threads, G, Math.floor((Q * N * D) / Math.max(1, this.parallelMinWork)));
    const split = k === 0 || Q === 0 ? "none" : T >= 2 ? "rows" : Tg >= 2 ? "groups" : "none";
    this.lastParts = split === "rows" ? T : split === "groups" ? Tg : 1;
    this.lastSplit = split;
    if (split === "groups") {
      this.runGroups(Tg, copy ? copy.descriptorRegion.ptr : 0, catalog, N, D, Q, G, k, X, distinct ? 1 : 0, bias, qbias);
      return;
    }
    if (split === "none") {
      if (copy) {
        x.topk_i8(catalog, copy.descriptorRegion.ptr, N, D, this.queryRegion.ptr, Q, G, k, this.exclusionRegion.ptr, X,
          distinct ? 1 : 0, this.indexRegion.ptr, this.scoreRegion.ptr, this.workspaceRegion.ptr, bias, qbias);
      } else {
        x.topk_f32(catalog, N, D, this.queryRegion.ptr, Q, G, k, this.exclusionRegion.ptr, X,
          distinct ? 1 : 0, this.indexRegion.ptr, this.scoreRegion.ptr, this.workspaceRegion.ptr, bias, qbias);
      }
      return;
    }
    this.runParts(T, catalog, N, D, Q, G, k, X, distinct ? 1 : 0, bias, qbias, copy ? copy.descriptorRegion.ptr : 0);
  }

  // The call split by groups: thread t takes groups [g(t), g(t + 1)), i.e. their queries, exclusion
  // rows, bias weights and output rows (contiguous, Kg queries per group), and runs the whole top-k
  // of them over the whole catalog on workspace t; thread 0 (this one) takes the first range while
  // the workers run. Groups never interact (distinct acts within a group) and every score is
  // computed the same way on every scan path (assembly/topk_scan.ts), so each group's result is
  // the one-thread result, bit for bit; nothing is merged.
  private runGroups(T: number, cat: number, catalog: number, N: number, D: number, Q: number, G: number, k: number, X: number,
                    distinct: number, bias: number, qbias: number): void {
    const x = this.x!, pool = this.pool!, Kg = Q / G;
    const W = this.queryRegion.ptr, ex = this.exclusionRegion.ptr, oi = this.indexRegion.ptr, os = this.scoreRegion.ptr, ws = this.workspaceRegion.ptr;
    for (let t = T - 1; t >= 1; t--) {
      const g0 = Math.floor((G * t) / T), g = Math.floor((G * (t + 1)) / T) - g0, q0 = g0 * Kg, q = g * Kg;
      const w = W + q0 * D * 4, e = ex + g0 * X * 4, ii = oi + q0 * k * 4, ss = os + q0 * k * 4, wt = ws + t * this.workspaceStride;
      const qb = qbias !== 0 ? qbias + q0 * 4 : 0;
      const a = pool.args(t - 1);
      // topk_i8 takes the copy's descriptor after the catalog, the other arguments one later
      const o = cat ? 1 : 0;
      a[0] = catalog; if (cat) a[1] = cat;
      a[1 + o] = N; a[2 + o] = D; a[3 + o] = w; a[4 + o] = q; a[5 + o] = g; a[6 + o] = k; a[7 + o] = e; a[8 + o] = X;
      a[9 + o] = distinct; a[10 + o] = ii; a[11 + o] = ss; a[12 + o] = wt; a[13 + o] = bias; a[14 + o] = qb;
      pool.start(t - 1, cat ? "topk_i8" : "topk_f32", 15 + o);
    }
    let error: unknown = null;
    const g1 = Math.floor(G / T), q1 = g1 * Kg;
    try {
      if (cat) x.topk_i8(catalog, cat, N, D, W, q1, g1, k, ex, X, distinct, oi, os, ws, bias, qbias);
      else x.topk_f32(catalog, N, D, W, q1, g1, k, ex, X, distinct, oi, os, ws, bias, qbias);
    } catch (e) {
      error = e;
    }
    for (let t = 1; t < T; t++) {
      try { pool.wait(t - 1); } catch (e) { error ??= e; }
    }
    if (error) throw error;
  }

  // The split call: T contiguous row ranges (boundaries multiples of 16 rows), thread t scanning
  // range t into candidate block t on workspace t; thread 0 (this one) takes the first range while
  // the workers run, then merges.
  private runParts(T: number, catalog: number, N: number, D: number, Q: number, G: number, k: number, X: number,
                   distinct: number, bias: number, qbias: number, cat: number): void {
    const x = this.x!, pool = this.pool!;
    const H = x.topk_candidates(Q, G, k, distinct);
    const ci = this.candidateIndexRegion.ptr, cs = this.candidateScoreRegion.ptr, ws = this.workspaceRegion.ptr;
    if (T * H * 4 > this.candidateIndexRegion.byteLength) throw new Error(`topk: ${T} parts of ${H} candidates exceed the candidate region (${this.candidateIndexRegion.byteLength} bytes)`);
    const bound = (t: number): number => (t >= T ? N : Math.floor((N * t) / T / 16) * 16);
    for (let t = T - 1; t >= 1; t--) {
      const a = pool.args(t - 1);
      // topk_part_i8 takes the copy's descriptor after the catalog, the other arguments one later
      const o = cat ? 1 : 0;
      a[0] = catalog; if (cat) a[1] = cat;
      a[1 + o] = N; a[2 + o] = D; a[3 + o] = this.queryRegion.ptr; a[4 + o] = Q; a[5 + o] = G; a[6 + o] = k;
      a[7 + o] = this.exclusionRegion.ptr; a[8 + o] = X; a[9 + o] = distinct; a[10 + o] = bound(t); a[11 + o] = bound(t + 1);
      a[12 + o] = ci + t * H * 4; a[13 + o] = cs + t * H * 4; a[14 + o] = ws + t * this.workspaceStride; a[15 + o] = bias; a[16 + o] = qbias;
      pool.start(t - 1, cat ? "topk_part_i8" : "topk_part_f32", 17 + o);
    }
    let error: unknown = null;
    try {
      if (cat) {
        x.topk_part_i8(catalog, cat, N, D, this.queryRegion.ptr, Q, G, k, this.exclusionRegion.ptr, X, distinct,
          0, bound(1), ci, cs, ws, bias, qbias);
      } else {
        x.topk_part_f32(catalog, N, D, this.queryRegion.ptr, Q, G, k, this.exclusionRegion.ptr, X, distinct,
          0, bound(1), ci, cs, ws, bias, qbias);
      }
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
