// Kernel argument checks: the engine's one error convention.
//
// Kernels trust their callers. The host wrappers (src/engine/topk.ts, src/nn/*) validate every
// shape, code and pointer first and throw an Error naming the argument, so a kernel never sees
// bad arguments from them. A kernel called with arguments it cannot honour anyway (its wrapper
// bypassed, or a bug in one) does not return an error code and does not guess: it TRAPS, through
// abort(message), before it reads or writes anything. Engine.load turns the abort into a JS
// Error "encore engine: <kernel>: <what>" (src/engine/engine.ts). So kernels return results
// (scores, losses, sizes), never statuses. A size of 0 is an empty problem, not an error.
//
//   need(ok, msg)             every build: the O(1) checks at a kernel's entry (negative sizes,
//                             unknown activation codes, shapes that do not fit together).
//   assert(inside(p, bytes), msg)
//                             debug builds only (build/encore.debug.wasm; the release build is
//                             compiled with noAssert, which drops asserts, messages included): the
//                             byte range [p, p + bytes) lies inside memory and above the engine's
//                             static data, so a stray pointer (0 for a missing region, a wrong offset
//                             or stride) fails naming the kernel and argument instead of silently
//                             overwriting the engine's data or trapping anonymously.
//   assert(disjoint(a, na, b, nb), msg)
//                             debug builds only: two byte ranges that must not overlap do not.
//   assert(cond, msg)         debug builds only: other per-element checks (row indices ≥ 0).
// Debug asserts carry their source location, which Engine.load shows with the message.
//
// Messages are string literals (static data): a check allocates nothing.

/** Trap with `msg` unless `ok` (every build). */
// @ts-ignore: decorator
@inline export function need(ok: bool, msg: string): void {
  if (!ok) abort(msg);
}

/** [p, p + bytes) is inside memory and above the static data (bytes = 0: anything goes). */
// @ts-ignore: decorator
@inline export function inside(p: usize, bytes: usize): bool {
  return bytes == 0 || (p >= __heap_base && p + bytes >= p && p + bytes <= (<usize>memory.size() << 16));
}

/** [a, a + na) and [b, b + nb) do not overlap (an empty range overlaps nothing). */
// @ts-ignore: decorator
@inline export function disjoint(a: usize, na: usize, b: usize, nb: usize): bool {
  return na == 0 || nb == 0 || a >= b + nb || b >= a + na;
}

/** Bytes of a row-major (rows, cols) f32 matrix with leading dimension ld (elements); 0 when empty. */
// @ts-ignore: decorator
@inline export function mat(rows: i32, cols: i32, ld: i32): usize {
  return rows <= 0 || cols <= 0 ? 0 : ((<usize>(rows - 1) * <usize>ld + <usize>cols) << 2);
}

/** Bytes of n f32 (or i32) values; 0 when n ≤ 0. */
// @ts-ignore: decorator
@inline export function f32s(n: i32): usize {
  return n <= 0 ? 0 : <usize>n << 2;
}
