// The memory plan: every byte the engine touches is placed here once, before the
// WebAssembly.Memory exists, and never moves. Nothing grows memory after set-up (a grow
// would detach every JS view), so views taken after binding stay valid for the engine's life.
//
// Layout, each region 16-byte aligned for v128 loads:
//   [engine static data | parameter groups | activations | scratch | io | data]
// A parameter group holds several tensors in one layout repeated over its arenas:
//   value | grad | adam m | adam v | target      (target only when asked for)
// so Adam, zero_grad, gradient clipping and the soft target update are each one flat loop
// over a contiguous array of group.size floats (see src/nn/adam.ts).
//
// This file imports nothing from Node: it runs in browsers and edge runtimes too.

import type { EngineExports } from "./kernels.js";
import type { Engine } from "./engine.js";

export const ALIGN = 16;

export function alignUp(n: number, a: number = ALIGN): number {
  return Math.ceil(n / a) * a;
}

export type RegionKind = "activation" | "scratch" | "io" | "data";
/** What a region's size may depend on besides the kernels: the engine's thread count. */
export interface LayoutContext {
  /** Threads the engine runs kernels on (1, or the worker-thread engine's count): per-thread workspaces scale with it. */
  threads: number;
}

/** Byte size, or a function of the engine's exports (e.g. a kernel's workspace size) and the layout context. */
export type ByteSize = number | ((x: EngineExports, ctx: LayoutContext) => number);

const KIND_ORDER: RegionKind[] = ["activation", "scratch", "io", "data"];

/** A named, aligned byte range of the engine's memory. Views exist once the plan is bound. */
export class Region {
  byteOffset = -1;
  byteLength = -1;
  private memory: WebAssembly.Memory | null = null;

  constructor(
    readonly plan: MemoryPlan,
    readonly name: string,
    readonly kind: RegionKind,
    readonly size: ByteSize,
  ) {}

  /** Byte address inside wasm memory, for passing to kernels. */
  get ptr(): number {
    if (this.byteOffset < 0) throw new Error(`region '${this.name}' is not laid out yet: create the Engine from its plan first`);
    return this.byteOffset;
  }

  f32(): Float32Array {
    return new Float32Array(this.buffer(), this.ptr, this.byteLength >>> 2);
  }

  i32(): Int32Array {
    return new Int32Array(this.buffer(), this.ptr, this.byteLength >>> 2);
  }

  u8(): Uint8Array {
    return new Uint8Array(this.buffer(), this.ptr, this.byteLength);
  }

  /** @internal */
  bind(memory: WebAssembly.Memory, byteOffset: number, byteLength: number): void {
    this.memory = memory;
    this.byteOffset = byteOffset;
    this.byteLength = byteLength;
  }

  private buffer(): ArrayBuffer {
    if (this.memory === null) throw new Error(`region '${this.name}' is not bound to an engine yet`);
    return this.memory.buffer;
  }
}

export type Arena = "value" | "grad" | "m" | "v" | "target";

/** One tensor inside a parameter group: the same offset in every arena of the group. */
export class ParamTensor {
  constructor(
    readonly group: ParamGroup,
    readonly name: string,
    /** Offset in floats from the start of each arena; a multiple of 4 (16 bytes). */
    readonly offset: number,
    readonly length: number,
    readonly shape: readonly number[],
  ) {}

  /** Byte address of this tensor inside the given arena. */
  ptr(arena: Arena = "value"): number {
    return this.group.arenaPtr(arena) + this.offset * 4;
  }

  view(arena: Arena = "value"): Float32Array {
    return this.group.arenaView(arena).subarray(this.offset, this.offset + this.length);
  }
}

export interface ParamGroupOptions {
  /** Keep a target copy of the parameters (DDPG target networks). Default false. */
  target?: boolean;
}

/**
 * Parameters that are optimised together (one learning rate, one clipping norm). All
 * arenas share one layout, so optimiser steps are single loops over `size` floats.
 */
export class ParamGroup {
  readonly tensors: ParamTensor[] = [];
  /** Floats per arena, padded so every tensor starts 16-byte aligned. */
  size = 0;
  readonly arenas: Arena[];
  private base = -1;
  private memory: WebAssembly.Memory | null = null;

  constructor(readonly plan: MemoryPlan, readonly name: string, options: ParamGroupOptions = {}) {
    this.arenas = options.target ? ["value", "grad", "m", "v", "target"] : ["value", "grad", "m", "v"];
  }

  add(name: string, shape: readonly number[]): ParamTensor {
    this.plan.assertOpen(`add parameter '${this.name}.${name}'`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d <= 0) throw new Error(`parameter '${this.name}.${name}': bad shape [${shape.join(", ")}]`);
    }
    const length = shape.reduce((a, b) => a * b, 1);
    const t = new ParamTensor(this, name, this.size, length, [...shape]);
    this.size += alignUp(length, 4);
    this.tensors.push(t);
    return t;
  }

  hasArena(arena: Arena): boolean {
    return this.arenas.includes(arena);
  }

  /** Bytes of the whole group: size floats per arena. */
  get byteLength(): number {
    return this.size * 4 * this.arenas.length;
  }

  arenaPtr(arena: Arena): number {
    if (this.base < 0) throw new Error(`parameter group '${this.name}' is not laid out yet: create the Engine from its plan first`);
    const i = this.arenas.indexOf(arena);
    if (i < 0) throw new Error(`parameter group '${this.name}' has no '${arena}' arena (create it with { target: true })`);
    return this.base + i * this.size * 4;
  }

  arenaView(arena: Arena): Float32Array {
    if (this.memory === null) throw new Error(`parameter group '${this.name}' is not bound to an engine yet`);
    return new Float32Array(this.memory.buffer, this.arenaPtr(arena), this.size);
  }

  /** @internal */
  bind(memory: WebAssembly.Memory, base: number): void {
    this.memory = memory;
    this.base = base;
  }
}

export interface Layout {
  /** The threads the layout was made for (per-thread regions hold this many parts). */
  threads: number;
  /** First byte the plan placed (above the engine's static data). */
  start: number;
  /** Total bytes used. */
  end: number;
  pages: number;
}

/** Collects every buffer of an engine, then lays them out once. */
export class MemoryPlan {
  readonly groups: ParamGroup[] = [];
  readonly regions: Region[] = [];
  private frozen = false;
  layout: Layout | null = null;

  paramGroup(name: string, options: ParamGroupOptions = {}): ParamGroup {
    this.assertOpen(`add parameter group '${name}'`);
    const g = new ParamGroup(this, name, options);
    this.groups.push(g);
    return g;
  }

  region(name: string, kind: RegionKind, size: ByteSize): Region {
    this.assertOpen(`add region '${name}'`);
    const r = new Region(this, name, kind, size);
    this.regions.push(r);
    return r;
  }

  /** A region of n f32 values. */
  f32(name: string, kind: RegionKind, n: number): Region {
    checkCount(name, n);
    return this.region(name, kind, n * 4);
  }

  /** A region of n i32 values. */
  i32(name: string, kind: RegionKind, n: number): Region {
    checkCount(name, n);
    return this.region(name, kind, n * 4);
  }

  get isBound(): boolean {
    return this.frozen;
  }

  private attached: Engine | null = null;

  /** The engine this plan was laid out for (layers built on the plan call kernels through it). */
  get engine(): Engine {
    if (this.attached === null) throw new Error("the memory plan has no engine yet: call Engine.load(source, plan) first");
    return this.attached;
  }

  /** @internal */
  attach(engine: Engine): void {
    this.attached = engine;
  }

  /** @internal */
  assertOpen(what: string): void {
    if (this.frozen) throw new Error(`cannot ${what}: the memory plan is already laid out (plans are laid out once)`);
  }

  /**
   * @internal Compute offsets from `start` (the engine's heap base) using the probe's
   * exports for size functions. Returns the layout; call bind() once memory exists.
   */
  computeLayout(start: number, probe: EngineExports, ctx: LayoutContext = { threads: 1 }): Layout {
    this.assertOpen("lay out the plan again");
    let at = alignUp(start);
    const offsets = new Map<object, [number, number]>();
    for (const g of this.groups) {
      offsets.set(g, [at, g.byteLength]);
      at = alignUp(at + g.byteLength);
    }
    for (const kind of KIND_ORDER) {
      for (const r of this.regions) {
        if (r.kind !== kind) continue;
        const bytes = typeof r.size === "function" ? r.size(probe, ctx) : r.size;
        if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`region '${r.name}': bad size ${bytes}`);
        offsets.set(r, [at, bytes]);
        at = alignUp(at + bytes);
      }
    }
    const pages = Math.max(1, Math.ceil(at / 65536));
    if (pages > 65536) throw new Error(`memory plan needs ${(at / 2 ** 30).toFixed(2)} GiB, above wasm32's 4 GiB`);
    this.pending = offsets;
    this.layout = { threads: ctx.threads, start: alignUp(start), end: at, pages };
    return this.layout;
  }

  private pending: Map<object, [number, number]> | null = null;

  /** @internal */
  bind(memory: WebAssembly.Memory): void {
    if (this.pending === null) throw new Error("memory plan: computeLayout must run before bind");
    for (const g of this.groups) g.bind(memory, this.pending.get(g)![0]);
    for (const r of this.regions) {
      const [off, len] = this.pending.get(r)!;
      r.bind(memory, off, len);
    }
    this.pending = null;
    this.frozen = true;
  }
}

function checkCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`region '${name}': element count must be a non-negative integer, got ${n}`);
}
