// Fused multiply-add, chosen at build time: the one place where the two engine builds differ.
//
//   build/encore.wasm, encore.shared.wasm                 SIMD128: madd(a, b, c) = a·b + c, the
//                                                         product rounded, then the sum (2 ops)
//   build/encore.relaxed.wasm, encore.relaxed.shared.wasm relaxed SIMD (asc --enable relaxed-simd):
//                                                         f32x4.relaxed_madd, one fused op where
//                                                         the CPU has FMA (x64 FMA3, arm64)
//
// ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so each build contains only its branch.
// Why: the wasm SIMD128 kernels are bound by the vector multiply and add ports (the GEMM
// microkernel issues 8 mul + 8 add per k step); a fused multiply-add does both in one µop.
//
// relaxed_madd may round once (fused) or twice (unfused), as the engine that runs it decides;
// V8 lowers it the same way in every function of a module on one machine, so within a build
// every kernel path that uses madd gets the same bits as every other (top-k's bit-identical
// scores across scan paths rely on this: each path accumulates with madd in the same order).
// Across builds, results differ in the last bits: tests compare both with the f64 references
// within tolerances that admit either rounding.

/** a·b + c per lane: fused in the relaxed build, mul then add in the SIMD128 build. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** a·b + c for one f32, rounded exactly as one lane of madd (for scalar tails that must match). */
// @ts-ignore: decorator
@inline export function madd1(a: f32, b: f32, c: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.extract_lane(f32x4.relaxed_madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
  return a * b + c;
}

/** 1 when this module was built with relaxed SIMD (madd fused where the CPU can). */
export const BUILD_RELAXED: i32 = ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
/** 1 when this module imports a shared memory (the worker-thread builds). */
export const BUILD_SHARED: i32 = ASC_FEATURE_THREADS ? 1 : 0;
