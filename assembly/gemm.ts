// GEMM, f32, row-major, three forms (nn, nt, tn), overwrite or accumulate, WebAssembly SIMD128.
// Pointers are byte addresses (any 4-byte alignment: A, B, C may be sub-matrix slices), leading
// dimensions are in elements.
//
//   gemm_f32_nn: C(M,N) (+)= A(M,K)  · B(K,N)
//   gemm_f32_nt: C(M,N) (+)= A(M,K)  · B(N,K)ᵀ
//   gemm_f32_tn: C(M,N) (+)= A(K,M)ᵀ · B(K,N)
// `acc` = 0 overwrites C, 1 accumulates into C. K = 0 with acc = 0 writes zeros; M = 0 or
// N = 0 touches nothing. Negative sizes, or leading dimensions shorter than the rows they
// stride over, trap (assembly/check.ts). `ws` is a workspace of gemm_workspace_bytes() bytes, 16-byte
// aligned, owned by the host; its size does not depend on the problem.
//
// Scheme (BLIS, Van Zee & van de Geijn 2015; microkernel after XNNPACK's
// f32_gemm_4x8__wasmsimd_splat): the three forms differ only in how A and B are read, so
// each form packs its operands into one common layout and a single register-tiled
// microkernel does all the arithmetic. Packing is where the transposes happen, in
// 4x4 blocks of v128 shuffles, and costs O(MK + KN) against the O(MNK) product (measured:
// about 3% of a 512^3 product, 6% of 64x256x320).
//
//   for jc in N by NC                    B block KC x NC   packed, lives in L2   (1 MiB)
//     for pc in K by KC                    packed as NR-column panels, k-major: [k][NR]
//       for ic in M by MC                A block MC x KC   packed, lives in L2   (up to 240 KiB)
//                                          packed as MR-row panels, k-major: [k][MR]
//         for jr in NC by NR             B micro-panel KC x NR stays in L1        (16 KiB)
//           for ir in MC by MR           A micro-panel MR x KC streams from L2    (8 KiB)
//             f32_gemm_4x8__wasmsimd     C tile MR x NR in 8 v128 registers
//
// Why 4x8: each k step loads the 8 packed B values as 2 vectors, splats the 4 packed A
// values one at a time (v128.load32_splat: one vbroadcastss on x64) and does 8 multiply-adds:
// 8 mul + 8 add in the SIMD128 build, 8 fused relaxed_madd in the relaxed build (assembly/simd.ts;
// the same source, one function). That is 8
// accumulators + 2 B + 4 splats = 14 registers, because V8 issues all of a block's loads
// before its arithmetic, and V8 keeps 15 of x64's 16 xmm registers for allocation. 6x8 and
// 5x8 tiles (and a 4x8 unrolled over k) exceed that and spill accumulators to the stack every
// step (measured: 5x8 ~13% and 6x8 ~40% slower). The 4x8 loop is bound by the vector
// mul/add ports: 3x8, 2x16, unrolled and shuffle-splat variants ran no faster.
// KC = 512 keeps the whole K of common layer shapes in one block, so C is read and written
// once, and the two micro-panels (24 KiB) fit in a 48 KiB L1.
// Block sizes split K, M and N evenly (K = 600 runs as two blocks of 300, not 512 + 88),
// so no block is a thin remainder. Edge tiles (M % MR, N % NR) are zero-padded by the
// packing, computed into a scratch tile in the workspace, and the valid part copied to C.
// The first K block overwrites C when acc = 0; later ones accumulate.

import { need, inside, disjoint, mat } from "./check";
import { madd } from "./simd";

// Microkernel tile: rows of A (MR) by columns of B (NR).
const MR: i32 = 4; // the microkernel below is written for MR = 4, NR = 8
const NR: i32 = 8;
// Cache blocks (maxima; the actual blocks split the dimension evenly). MC is a multiple of
// MR and NC of NR.
const MC: i32 = 120;
const KC: i32 = 512;
const NC: i32 = 512;
// Rows of k the row-major packers (packB_n, packA_t) copy across every panel before moving on:
// 16 rows of a 512-float block are 32 KiB, inside L1 with the panels being written.
const KP: i32 = 16;

// Workspace layout: [packed B: KC*NC | packed A: MC*KC | edge tile: MR*NR] f32.
const WS_B: usize = 0;
const WS_A: usize = WS_B + <usize>(KC * NC) * 4;
const WS_TILE: usize = WS_A + <usize>(MC * KC) * 4;
const WS_BYTES: i32 = <i32>(WS_TILE + <usize>(MR * NR) * 4);

export function gemm_workspace_bytes(): i32 {
  return WS_BYTES;
}

// C(M,N) (+)= A(M,K) · B(K,N)
export function gemm_f32_nn(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            c: usize, ldc: i32, acc: i32, ws: usize): void {
  need(M >= 0 && N >= 0 && K >= 0 && lda >= K && ldb >= N && ldc >= N, "gemm_f32_nn: negative size or leading dimension too short");
  assert(inside(a, mat(M, K, lda)), "gemm_f32_nn: A out of bounds");
  assert(inside(b, mat(K, N, ldb)), "gemm_f32_nn: B out of bounds");
  checkC(M, N, K, a, mat(M, K, lda), b, mat(K, N, ldb), c, ldc, ws);
  gemm(0, 0, M, N, K, a, lda, b, ldb, c, ldc, acc, ws);
}

// C(M,N) (+)= A(M,K) · B(N,K)ᵀ
export function gemm_f32_nt(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            c: usize, ldc: i32, acc: i32, ws: usize): void {
  need(M >= 0 && N >= 0 && K >= 0 && lda >= K && ldb >= K && ldc >= N, "gemm_f32_nt: negative size or leading dimension too short");
  assert(inside(a, mat(M, K, lda)), "gemm_f32_nt: A out of bounds");
  assert(inside(b, mat(N, K, ldb)), "gemm_f32_nt: B out of bounds");
  checkC(M, N, K, a, mat(M, K, lda), b, mat(N, K, ldb), c, ldc, ws);
  gemm(0, 1, M, N, K, a, lda, b, ldb, c, ldc, acc, ws);
}

// C(M,N) (+)= A(K,M)ᵀ · B(K,N)
export function gemm_f32_tn(M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
                            c: usize, ldc: i32, acc: i32, ws: usize): void {
  need(M >= 0 && N >= 0 && K >= 0 && lda >= M && ldb >= N && ldc >= N, "gemm_f32_tn: negative size or leading dimension too short");
  assert(inside(a, mat(K, M, lda)), "gemm_f32_tn: A out of bounds");
  assert(inside(b, mat(K, N, ldb)), "gemm_f32_tn: B out of bounds");
  checkC(M, N, K, a, mat(K, M, lda), b, mat(K, N, ldb), c, ldc, ws);
  gemm(1, 0, M, N, K, a, lda, b, ldb, c, ldc, acc, ws);
}

// Debug builds: C and the workspace in bounds, C overlapping neither operand nor the workspace.
@inline function checkC(M: i32, N: i32, K: i32, a: usize, abytes: usize, b: usize, bbytes: usize,
                        c: usize, ldc: i32, ws: usize): void {
  const cb = mat(M, N, ldc);
  assert(inside(c, cb), "gemm: C out of bounds");
  if (M > 0 && N > 0 && K > 0) {
    assert(inside(ws, <usize>WS_BYTES), "gemm: workspace out of bounds");
    assert(disjoint(c, cb, ws, <usize>WS_BYTES), "gemm: C overlaps the workspace");
  }
  assert(disjoint(c, cb, a, abytes), "gemm: C overlaps A");
  assert(disjoint(c, cb, b, bbytes), "gemm: C overlaps B");
}

// The blocked driver. transA: A is stored (K,M); transB: B is stored (N,K).
function gemm(transA: i32, transB: i32, M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32,
              c: usize, ldc: i32, acc: i32, ws: usize): void {
  if (M <= 0 || N <= 0) return;
  const ldcb = <usize>ldc << 2;
  if (K <= 0) {
    if (acc == 0) {
      for (let i = 0; i < M; i++) memory.fill(c + <usize>i * ldcb, 0, <usize>N << 2);
    }
    return;
  }
  const bpack = ws + WS_B, apack = ws + WS_A, tile = ws + WS_TILE;
  const ncs = evenBlock(N, NC, NR), kcs = evenBlock(K, KC, 1), mcs = evenBlock(M, MC, MR);
  for (let jc = 0; jc < N; jc += ncs) {
    const nc = min(ncs, N - jc);
    for (let pc = 0; pc < K; pc += kcs) {
      const kc = min(kcs, K - pc);
      if (transB) packB_t(b + ((<usize>jc * ldb + pc) << 2), ldb, kc, nc, bpack);
      else packB_n(b + ((<usize>pc * ldb + jc) << 2), ldb, kc, nc, bpack);
      const beta = acc != 0 || pc > 0;
      for (let ic = 0; ic < M; ic += mcs) {
        const mc = min(mcs, M - ic);
        if (transA) packA_t(a + ((<usize>pc * lda + ic) << 2), lda, kc, mc, apack);
        else packA_n(a + ((<usize>ic * lda + pc) << 2), lda, kc, mc, apack);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = bpack + <usize>(jr * kc) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const ap = apack + <usize>(ir * kc) * 4;
            const cp = c + ((<usize>(ic + ir) * ldc + <usize>(jc + jr)) << 2);
            if (mr == MR && nr == NR) {
              f32_gemm_4x8__wasmsimd(kc, ap, bp, cp, ldcb, beta);
            } else {
              f32_gemm_4x8__wasmsimd(kc, ap, bp, tile, <usize>NR << 2, false);
              mergeTile(tile, cp, ldcb, mr, nr, beta);
            }
          }
        }
      }
    }
  }
}

// The block size for a dimension n with blocks of at most max: n split into equal blocks,
// rounded up to a multiple of unit (max is a multiple of unit, so the result stays <= max).
@inline function evenBlock(n: i32, max: i32, unit: i32): i32 {
  const blocks = (n + max - 1) / max;
  const per = (n + blocks - 1) / blocks;
  return (per + unit - 1) / unit * unit;
}

// C tile (4,8) (+)= Apanel (4,kc) · Bpanel (kc,8); ap: [k][4], bp: [k][8] packed.
// beta: add the tile to C (true) or overwrite it (false). c need not be aligned.
function f32_gemm_4x8__wasmsimd(kc: i32, ap: usize, bp: usize, c: usize, ldcb: usize, beta: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let av: v128;
    av = v128.load32_splat(ap, 0);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(ap, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(ap, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(ap, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    ap += 16;
    bp += 32;
  }
  let cp = c;
  if (beta) {
    c00 = f32x4.add(c00, v128.load(cp)); c01 = f32x4.add(c01, v128.load(cp, 16)); cp += ldcb;
    c10 = f32x4.add(c10, v128.load(cp)); c11 = f32x4.add(c11, v128.load(cp, 16)); cp += ldcb;
    c20 = f32x4.add(c20, v128.load(cp)); c21 = f32x4.add(c21, v128.load(cp, 16)); cp += ldcb;
    c30 = f32x4.add(c30, v128.load(cp)); c31 = f32x4.add(c31, v128.load(cp, 16));
    cp = c;
  }
  v128.store(cp, c00); v128.store(cp, c01, 16); cp += ldcb;
  v128.store(cp, c10); v128.store(cp, c11, 16); cp += ldcb;
  v128.store(cp, c20); v128.store(cp, c21, 16); cp += ldcb;
  v128.store(cp, c30); v128.store(cp, c31, 16);
}

// C (mr,nr) (+)= tile (mr,nr) for an edge tile; tile rows are NR floats apart.
function mergeTile(tile: usize, c: usize, ldcb: usize, mr: i32, nr: i32, beta: bool): void {
  for (let i = 0; i < mr; i++) {
    const t = tile + <usize>(i * NR) * 4, cp = c + <usize>i * ldcb;
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(t + o);
      store<f32>(cp + o, beta ? load<f32>(cp + o) + v : v);
    }
  }
}

// 4x4 transpose of rows r0..r3 (lanes = 4 consecutive k) into columns, stored at dst with a
// stride of `step` bytes between the four k (dst[kk] = (r0[kk], r1[kk], r2[kk], r3[kk])).
@inline function transpose4Store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const u0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const u1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const u2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const u3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(u0, u1, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(u0, u1, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(u2, u3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(u2, u3, 2, 3, 6, 7));
}

// Pack B (kc,nc), stored row-major (k rows, ldb apart), into NR-column panels [k][NR],
// zero-padding the last panel. The full panels are packed KP rows of k at a time, every panel of
// those rows before the next rows: each source row is then read once, front to back, instead of
// once per panel down a column at a stride of ldb (a power-of-two ldb maps such a column to a few
// cache sets, which evict each other before the next panel reads the rest of the same lines).
function packB_n(b: usize, ldb: i32, kc: i32, nc: i32, dst: usize): void {
  const ldbb = <usize>ldb << 2;
  const full = nc & ~(NR - 1), panel = <usize>(kc * NR) * 4;
  for (let k0 = 0; k0 < kc; k0 += KP) {
    const k1 = min(kc, k0 + KP);
    for (let jr = 0; jr < full; jr += NR) {
      let src = b + <usize>k0 * ldbb + (<usize>jr << 2);
      let d = dst + <usize>(jr / NR) * panel + <usize>(k0 * NR) * 4;
      for (let k = k0; k < k1; k++) {
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += ldbb;
        d += NR * 4;
      }
    }
  }
  if (full < nc) {
    const nr = nc - full;
    let src = b + (<usize>full << 2), d = dst + <usize>(full / NR) * panel;
    for (let k = 0; k < kc; k++) {
      for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
      src += ldbb;
      d += NR * 4;
    }
  }
}

// Pack B (kc,nc) given stored transposed, (nc,kc) row-major (ldb apart), into NR-column
// panels [k][NR]: 4x4 shuffle transposes, scalar for the k remainder and the last panel.
function packB_t(b: usize, ldb: i32, kc: i32, nc: i32, dst: usize): void {
  const ldbb = <usize>ldb << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = nc - jr;
    const src = b + <usize>jr * ldbb;
    if (nr >= NR) {
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const s = src + (<usize>k << 2), d = dst + <usize>(k * NR) * 4;
        transpose4Store(v128.load(s), v128.load(s + ldbb), v128.load(s + 2 * ldbb), v128.load(s + 3 * ldbb), d, NR * 4);
        const s4 = s + 4 * ldbb;
        transpose4Store(v128.load(s4), v128.load(s4 + ldbb), v128.load(s4 + 2 * ldbb), v128.load(s4 + 3 * ldbb), d + 16, NR * 4);
      }
      for (; k < kc; k++) {
        const s = src + (<usize>k << 2), d = dst + <usize>(k * NR) * 4;
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + <usize>j * ldbb));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const s = src + (<usize>k << 2), d = dst + <usize>(k * NR) * 4;
        for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < nr ? load<f32>(s + <usize>j * ldbb) : 0);
      }
    }
    dst += <usize>(kc * NR) * 4;
  }
}

// Pack A (mc,kc), stored row-major (lda apart), into MR-row panels [k][MR]: a 4x4 shuffle
// transpose per 4 k (MR = 4 rows), scalar for the k remainder and the last panel.
function packA_n(a: usize, lda: i32, kc: i32, mc: i32, dst: usize): void {
  const ldab = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = mc - ir;
    const src = a + <usize>ir * ldab;
    if (mr >= MR) {
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const s = src + (<usize>k << 2), d = dst + <usize>(k * MR) * 4;
        transpose4Store(v128.load(s), v128.load(s + ldab), v128.load(s + 2 * ldab), v128.load(s + 3 * ldab), d, MR * 4);
      }
      for (; k < kc; k++) {
        const s = src + (<usize>k << 2), d = dst + <usize>(k * MR) * 4;
        for (let i = 0; i < MR; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + <usize>i * ldab));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const s = src + (<usize>k << 2), d = dst + <usize>(k * MR) * 4;
        for (let i = 0; i < MR; i++) store<f32>(d + (<usize>i << 2), i < mr ? load<f32>(s + <usize>i * ldab) : 0);
      }
    }
    dst += <usize>(kc * MR) * 4;
  }
}

// Pack A (mc,kc) given stored transposed, (kc,mc) row-major (lda apart), into MR-row
// panels [k][MR]: each k is a contiguous run of MR = 4 floats, copied as one v128. As packB_n,
// the full panels are packed KP rows of k at a time, every panel of those rows before the next
// rows, so each source row is read once front to back (the tn form's A at a power-of-two lda
// otherwise thrashes a few cache sets, one column of rows per panel).
function packA_t(a: usize, lda: i32, kc: i32, mc: i32, dst: usize): void {
  const ldab = <usize>lda << 2;
  const full = mc & ~(MR - 1), panel = <usize>(kc * MR) * 4;
  for (let k0 = 0; k0 < kc; k0 += KP) {
    const k1 = min(kc, k0 + KP);
    for (let ir = 0; ir < full; ir += MR) {
      let src = a + <usize>k0 * ldab + (<usize>ir << 2);
      let d = dst + <usize>(ir / MR) * panel + <usize>(k0 * MR) * 4;
      for (let k = k0; k < k1; k++) {
        v128.store(d, v128.load(src));
        src += ldab;
        d += MR * 4;
      }
    }
  }
  if (full < mc) {
    const mr = mc - full;
    let src = a + (<usize>full << 2), d = dst + <usize>(full / MR) * panel;
    for (let k = 0; k < kc; k++) {
      for (let i = 0; i < MR; i++) store<f32>(d + (<usize>i << 2), i < mr ? load<f32>(src + (<usize>i << 2)) : 0);
      src += ldab;
      d += MR * 4;
    }
  }
}
