// Row-sparse parameter tables with lazy Adam: a per-track bias (V × 1) or trainable track
// embeddings (V × W) that a batch touches only a few rows of. A dense Adam step over a
// 3.7-million-row catalog per update would cost O(V·W); here a step costs O(rows touched · W).
//
//   accumulate(R, idx, src)  grad[idx[r], :] += src[r, :] (scatter_add_rows_f32; duplicates add up)
//                            and remembers which rows were touched since the last step
//   step(t, hyper)           lazy Adam on exactly those rows (adam_rows_f32: TensorFlow's LazyAdam
//                            semantics, the bias correction of the global step t, decoupled
//                            weight decay as the dense Adam), then zeroes their gradients
//   softUpdate(tau)          target ← τ·value + (1 − τ)·target over the whole table (dense: a
//                            target must keep following rows the current batch did not touch)
//   hardUpdate()             target ← value
//   view(arena)              the value / grad / m / v / target tables, (V, W) row-major, for
//                            initialisation and checkpoints (they are plain regions of the plan)
//
// Rows never touched keep their values, moments and gradients bit for bit. The touched rows are
// tracked on the host without allocation: a stamp per row (the step epoch that last touched it)
// and a list of touched rows written straight into wasm memory, where adam_rows_f32 reads it.
//
// No `node:` imports: this runs in browsers and edge runtimes too.

import type { Engine } from "../engine/engine.js";
import type { MemoryPlan, Region } from "../engine/plan.js";
import { ADAM_DEFAULTS } from "./adam.js";
import { checkDim } from "./dense.js";

export interface SparseRowsOptions {
  /** Most rows per accumulate() call (R). */
  maxRows: number;
  /** Most distinct rows touched between two steps. Default V. */
  maxTouched?: number;
  /** Keep a target copy for soft target updates. Default false. */
  target?: boolean;
}

/** Adam hyperparameters of a step (defaults as the dense Adam's: lr 1e-3, β 0.9 / 0.999, ε 1e-8, no decay). */
export interface SparseAdamHyper {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export type SparseArena = "value" | "grad" | "m" | "v" | "target";

export class SparseRows {
  readonly value: Region;
  readonly grad: Region;
  readonly m: Region;
  readonly v: Region;
  readonly target: Region | null;
  /** Staging for accumulate() given an index array: (maxRows) i32. */
  readonly idxRegion: Region;
  /** The rows touched since the last step, in first-touch order: (maxTouched) i32. */
  readonly touchedRegion: Region;
  readonly maxRows: number;
  readonly maxTouched: number;
  /** Distinct rows touched since the last step (or zeroGrad). */
  touchedCount = 0;

  private readonly stamp: Int32Array;
  private epoch = 1;
  private mem32: Int32Array | null = null;
  private memBuffer: ArrayBufferLike | null = null;
  private views: Partial<Record<SparseArena, Float32Array>> = {};
  private touched32: Int32Array | null = null;
  private idx32: Int32Array | null = null;

  constructor(readonly plan: MemoryPlan, readonly name: string, readonly V: number, readonly W: number, options: SparseRowsOptions) {
    checkDim(`${name}: rows V`, V);
    checkDim(`${name}: width W`, W);
    checkDim(`${name}: maxRows`, options.maxRows);
    const maxTouched = options.maxTouched ?? V;
    checkDim(`${name}: maxTouched`, maxTouched);
    if (maxTouched > V) throw new Error(`${name}: maxTouched ${maxTouched} exceeds the ${V} rows`);
    this.maxRows = options.maxRows;
    this.maxTouched = maxTouched;
    this.value = plan.f32(`${name}.value`, "data", V * W);
    this.grad = plan.f32(`${name}.grad`, "data", V * W);
    this.m = plan.f32(`${name}.m`, "data", V * W);
    this.v = plan.f32(`${name}.v`, "data", V * W);
    this.target = options.target ? plan.f32(`${name}.target`, "data", V * W) : null;
    this.idxRegion = plan.i32(`${name}.idx`, "io", options.maxRows);
    this.touchedRegion = plan.i32(`${name}.touched`, "io", maxTouched);
    this.stamp = new Int32Array(V);
  }

  /** The (V, W) row-major table of an arena (views are made once and reused). */
  view(arena: SparseArena = "value"): Float32Array {
    let v = this.views[arena];
    if (v === undefined) {
      const r = arena === "target" ? this.target : this[arena];
      if (r === null) throw new Error(`${this.name}: no target table (create it with { target: true })`);
      v = this.views[arena] = r.f32();
    }
    return v;
  }

  /** The rows touched since the last step, in first-touch order (a view: valid until the next call). */
  touchedRows(): Int32Array {
    return this.touchedList().subarray(0, this.touchedCount);
  }

  /**
   * grad[idx[r], :] += src[r, :] for r < R, in order (a row listed twice gets both). idx is an
   * array of R row indices, or the byte address of R i32 in wasm memory; src is the byte address
   * of (R, W) f32 in wasm memory. Indices are checked before anything changes.
   */
  accumulate(R: number, idx: number | ArrayLike<number>, srcPtr: number): void {
    const e = this.plan.engine, { V, W, name } = this;
    if (!Number.isInteger(R) || R < 0 || R > this.maxRows) throw new Error(`${name}.accumulate: R = ${R} outside 0..${this.maxRows} (maxRows)`);
    e.checkRange(`${name}.accumulate: src (${R} x ${W} f32)`, srcPtr, R * W * 4);
    const g = this.grad;
    if (R > 0 && srcPtr < g.ptr + g.byteLength && g.ptr < srcPtr + R * W * 4) throw new Error(`${name}.accumulate: src overlaps the gradient table`);
    if (R === 0) return;
    let ids: ArrayLike<number>, at: number, idxPtr: number;
    if (typeof idx === "number") {
      e.checkRange(`${name}.accumulate: idx (${R} i32)`, idx, R * 4);
      ids = this.memory32(e);
      at = idx >>> 2;
      idxPtr = idx;
    } else {
      if (idx.length < R) throw new Error(`${name}.accumulate: ${idx.length} indices given for R = ${R}`);
      ids = idx;
      at = 0;
      idxPtr = this.idxRegion.ptr;
    }
    for (let r = 0; r < R; r++) {
      const i = ids[at + r];
      if (!Number.isInteger(i) || i < 0 || i >= V) throw new Error(`${name}.accumulate: idx[${r}] = ${i} is not a row in [0, ${V})`);
    }
    // remember the new rows; on overflow forget this call's new rows and change nothing
    const touched = this.touchedList(), stamp = this.stamp, epoch = this.epoch, start = this.touchedCount;
    let n = start;
    for (let r = 0; r < R; r++) {
      const i = ids[at + r];
      if (stamp[i] === epoch) continue;
      if (n === this.maxTouched) {
        for (let j = start; j < n; j++) stamp[touched[j]] = 0;
        throw new Error(`${name}.accumulate: more than maxTouched = ${this.maxTouched} distinct rows before a step`);
      }
      stamp[i] = epoch;
      touched[n++] = i;
    }
    this.touchedCount = n;
    if (typeof idx !== "number") {
      const staged = (this.idx32 ??= this.idxRegion.i32());
      for (let r = 0; r < R; r++) staged[r] = idx[r];
    }
    e.x.scatter_add_rows_f32(R, W, idxPtr, srcPtr, g.ptr);
  }

  /**
   * One lazy Adam step (t = the global step number, ≥ 1, counted by the caller like Adam.t) on
   * the rows touched since the last step; zeroes their gradients and forgets them. Returns the
   * number of rows stepped.
   */
  step(t: number, hyper: SparseAdamHyper = {}): number {
    const o = { ...ADAM_DEFAULTS, ...hyper }, name = this.name;
    if (!Number.isInteger(t) || t < 1) throw new Error(`${name}.step: t must be an integer ≥ 1 (the step number), got ${t}`);
    if (!(o.lr > 0)) throw new Error(`${name}.step: lr must be > 0, got ${o.lr}`);
    if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1)) throw new Error(`${name}.step: betas must be in [0, 1)`);
    if (!(o.eps > 0)) throw new Error(`${name}.step: eps must be > 0`);
    if (!(o.weightDecay >= 0)) throw new Error(`${name}.step: weightDecay must be ≥ 0`);
    const n = this.touchedCount;
    this.plan.engine.x.adam_rows_f32(n, this.W, this.touchedRegion.ptr, this.value.ptr, this.grad.ptr, this.m.ptr, this.v.ptr,
      o.lr, o.beta1, o.beta2, o.eps, t, o.weightDecay);
    this.forget();
    return n;
  }

  /** Zero the touched rows' gradients and forget them, without a step (a discarded batch). */
  zeroGrad(): void {
    const x = this.plan.engine.x, touched = this.touchedList(), W = this.W, g = this.grad.ptr;
    for (let j = 0; j < this.touchedCount; j++) x.fill_f32(W, g + touched[j] * W * 4, 0);
    this.forget();
  }

  /** target ← τ·value + (1 − τ)·target over the whole table. */
  softUpdate(tau: number): void {
    if (!(tau >= 0 && tau <= 1)) throw new Error(`${this.name}.softUpdate: tau must be in [0, 1], got ${tau}`);
    const t = this.targetRegion();
    this.plan.engine.x.soft_update_f32(this.V * this.W, t.ptr, this.value.ptr, tau);
  }

  /** target ← value: an exact copy (at initialisation). */
  hardUpdate(): void {
    const t = this.targetRegion();
    this.plan.engine.x.copy_f32(this.V * this.W, this.value.ptr, t.ptr);
  }

  private targetRegion(): Region {
    if (this.target === null) throw new Error(`${this.name}: no target table (create it with { target: true })`);
    return this.target;
  }

  private touchedList(): Int32Array {
    return (this.touched32 ??= this.touchedRegion.i32());
  }

  private forget(): void {
    this.touchedCount = 0;
    if (++this.epoch === 0x7fffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
  }

  /** An Int32Array over the whole engine memory, to read index arrays in place (made once). */
  private memory32(e: Engine): Int32Array {
    if (this.mem32 === null || this.memBuffer !== e.memory.buffer) {
      this.memBuffer = e.memory.buffer;
      this.mem32 = new Int32Array(e.memory.buffer);
    }
    return this.mem32;
  }
}
