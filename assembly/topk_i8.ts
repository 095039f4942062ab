// Exact top-k over an int8 copy of the catalog: the same results as topk_f32 (assembly/topk.ts),
// bit for bit, from a quarter of the catalog bytes.
//
// The int8 copy (quantize_catalog_i8) keeps, per dimension d, a symmetric scale s_d = amax_d/127
// (amax_d the largest |e_id| over the catalog's finite rows), the codes c_id = round(e_id/s_d)
// clamped to ±127, and the exact residual bound r_d = max_i |e_id − s_d·c_id| (measured in f64,
// where e − s·c is exact, and rounded up to f32). Rows holding a NaN or an infinity are "special":
// their codes are 0 and their indices are listed; every call scores them exactly, apart (the scan
// never offers their meaningless bounds: a NaN row's L would otherwise raise the threshold).
//
// Per call, each query w is folded into the scales, v_d = s_d·w_d, and quantised with one scale
// t = max|v_d| / QMAX: codes q_d = round(v_d / t). Then for every row the integer dot product
// I = Σ c_id·q_d is exact (i32), and y = fl(fl(I)·t) is within Δ of the f32 score topk_f32 would
// compute, D_f = the dot product in its summation order:
//
//   |D_f − Σ e_id w_d|    ≤ γ_n · Σ_d amax_d |w_d|              (f32 rounding, n = D + 4 steps)
//   |Σ e_id w_d − t·I|    ≤ Σ_d r_d |w_d| + Σ_d 127·|v_d − t q_d| (catalog and query residuals)
//   |y − t·I|             ≤ 2.01·u·T (+ u·T when |I| may pass 2^24), T = t·Σ_d 127|q_d| ≥ |t·I|
//
// plus (2D + 8)·2^-149 for subnormal results, all summed in f64, widened by 1e-6 and rounded up
// to an f32 Δ. So with Yu = fl(y + Δ) and Yl = fl(y − Δ), Yl ≤ D_f ≤ Yu: rounding to nearest is
// monotone, and D_f is an f32. With a bias the score is S = fl(D_f + p), p = fl(qb·b_i) exactly as
// topk_f32 forms it; U = fl(Yu + p) and L = fl(Yl + p) bracket S by the same monotonicity, whatever
// p is (NaN, ±Infinity and overflow included), with no bound on p needed.
//
// The scan keeps, per query, a heap of the best lower bounds L (the selection of
// assembly/topk_select.ts, with the call's exclusions and distinct capacities): its threshold θ is
// the capacity-th best L seen, a lower bound on the capacity-th best exact score. A row whose U is
// strictly below θ is beaten by at least that many rows and is dropped; every other row goes to the
// query's candidate buffer. The buffer (CAND entries) is re-ranked exactly — the f32 dot product of
// topk_f32 (dotOne), plus the bias — into a second selection: when it fills, and at the end, each
// time dropping what the then-current θ rules out. Special rows are offered to it exactly too. The
// second selection sees a superset of each query's true top candidates with their exact scores,
// and its order is total, so its result is topk_f32's: ties by lower index, NaN scores never
// returned, exclusions and distinct groups as there. A query holding a NaN or an infinity, or
// bounds too large for f32, send the whole call through the exact f32 scan (scanRows) instead.
//
// Codes layout: groups of 4 consecutive rows, each Dp4 = 4·⌈D/4⌉ dimensions as Dp4/4 blocks of
// 16 bytes [row 0 dims 4j..4j+3 | row 1 … | row 2 … | row 3 …]: one v128 per block, so a dot
// product of a block with a query block repeated 4 times gives each row's partial sum in its own
// lane (no horizontal reduction). The rows past N in the last group are 0. Builds:
//   SIMD128: codes widened to i16 as they load (load8x8_s: rows 0–1, 2–3), i32x4.dot_i16x8_s against the
//            query block as i16 [q0 q1 q2 q3 q0 q1 q2 q3], QMAX = 127; one pairwise add at the end.
//   relaxed, where the engine computes it soundly (topk_i8_dot_ok, probed once by the host and
//            recorded in the descriptor; otherwise the relaxed build takes the i16 path too):
//            i32x4.relaxed_dot_i8x16_i7x16_add_s(codes, b, acc) with b = q + 63 in [0, 126], QMAX =
//            63, then I = acc − 63·Σ_d c_id (the row's code sum, another relaxed dot with ones).
//            Sound: b's top bit is clear, so its signed and unsigned readings agree, and each pair
//            of products stays within ±2·127·126 < 2^15, so no engine's i16 intermediate saturates.
//
// Workspace (topk_i8_workspace_bytes): topk_f32's (the f32 scan's pieces, whose packed queries the
// exact re-rank reads, and the exact selection), then
//   qv    (Dp4/4, Q) v128  query blocks, block-major (a tile's blocks are adjacent)
//   qt,qd (Q4) f32         per-query scale t and bound Δ
//   asel                   the lower bounds' selection (selectBytes)
//   cand  (Q, CAND) (i32 row, f32 U)  candidate buffers; cnt (Q4) i32 their fill
//   ctx   2 selection contexts, sums 64 bytes, tmp 48 bytes (lane scratch)

import { Sel, selectBytes, selectBegin, selectFinish, selectDump, offer, selectSave, selectLoad, SEL_CONTEXT_BYTES } from "./topk_select";
import { need, inside, disjoint, f32s } from "./check";
import { Scan, scanBytes, validShapes, checkCall, prepare, scanRows, dotOne, loadTail, align16 } from "./topk_scan";

/** Largest query code: 127 (i16 products) or 63 (the relaxed dot: q + 63 must fit 7 bits). */
@inline function qmax(dot: bool): f64 { return dot ? 63 : 127; }
/** Candidate entries per query between exact re-ranks. */
const CAND: i32 = 256;
const U: f64 = 5.9604644775390625e-8; // 2^-24, the f32 unit roundoff
const SUB: f64 = 1.401298464324817e-45; // 2^-149, the smallest f32 subnormal

// The call's int8 context (one call at a time per instance, like Sel and Scan).
@final class I8 {
  static codes: usize = 0;
  /** Bytes of a 4-row group (4·Dp4) and its blocks (Dp4/4). */
  static gbytes: usize = 0;
  static nblk: i32 = 0;
  static qv: usize = 0;
  static qt: usize = 0;
  static qd: usize = 0;
  static cand: usize = 0;
  static cnt: usize = 0;
  static ctxA: usize = 0;
  static ctxF: usize = 0;
  static sums: usize = 0;
  static tmp: usize = 0;
  /** f32 rows and the per-track bias of the scanned range (its first row at offset 0). */
  static E: usize = 0;
  static bias: usize = 0;
  /** The scanned range's first row, and the special rows (ascending, absolute) and their count. */
  static r0: i32 = 0;
  static special: usize = 0;
  static ns: i32 = 0;
}

@inline function dp4(D: i32): i32 {
  return (D + 3) & ~3;
}

/** Bytes of the codes of an N × D catalog: ⌈N/4⌉ groups of 4·Dp4 bytes. Exact in f64. */
export function catalog_i8_bytes(N: i32, D: i32): f64 {
  need(N >= 0 && D >= 1, "catalog_i8_bytes: invalid shapes (need N >= 0, D >= 1)");
  return <f64>((N + 3) >> 2) * 4 * <f64>dp4(D);
}

/** Bytes of the per-dimension data: scale, 1/scale, residual bound, |max| (f32, Dp4 each) and an f64 scratch (Dp4). */
export function catalog_i8_meta_bytes(D: i32): f64 {
  need(D >= 1, "catalog_i8_meta_bytes: invalid D (need D >= 1)");
  return 24 * <f64>dp4(D);
}

// Offsets of the per-dimension arrays in the meta block.
@inline function metaScale(meta: usize, Dp: i32): usize { return meta; }
@inline function metaInv(meta: usize, Dp: i32): usize { return meta + (<usize>Dp << 2); }
@inline function metaResid(meta: usize, Dp: i32): usize { return meta + (<usize>Dp << 3); }
@inline function metaAmax(meta: usize, Dp: i32): usize { return meta + <usize>Dp * 12; }
@inline function metaScratch(meta: usize, Dp: i32): usize { return meta + (<usize>Dp << 4); }

/** The smallest f32 ≥ x (x ≥ 0, finite). */
@inline function roundUpF32(x: f64): f32 {
  let f = <f32>x;
  if (<f64>f < x) f = reinterpret<f32>(reinterpret<u32>(f) + 1);
  return f;
}

// Whether a row's D values are all finite.
function finiteRow(e: usize, D: i32): bool {
  const full = <usize>(D & ~3) << 2, t = D & 3;
  const inf = f32x4.splat(Infinity);
  let ok = i32x4.splat(-1);
  for (let c: usize = 0; c < full; c += 16) ok = v128.and(ok, f32x4.lt(f32x4.abs(v128.load(e + c)), inf));
  if (t) ok = v128.and(ok, f32x4.lt(f32x4.abs(loadTail(e + full, t)), inf));
  return i32x4.all_true(ok);
}

/**
 * Quantise the catalog E (N, D) f32 into codes (catalog_i8_bytes(N, D) bytes, the group layout
 * above) and meta (catalog_i8_meta_bytes(D) bytes, 16-byte aligned: per dimension the scale, its
 * inverse, the residual bound and the largest |value|), listing the rows holding a NaN or an
 * infinity in special (at most maxSpecial i32, ascending). Returns how many such rows there are
 * (also when more than maxSpecial: the caller must then not use the copy).
 *
 *   codes (⌈N/4⌉·4, Dp4) i8 = clamp(round(E / s), ±127),  s_d = max_i |E_id| / 127
 */
export function quantize_catalog_i8(E: usize, N: i32, D: i32, codes: usize, meta: usize, special: usize, maxSpecial: i32): i32 {
  need(N >= 0 && D >= 1 && maxSpecial >= 0, "quantize_catalog_i8: invalid shapes (need N >= 0, D >= 1, maxSpecial >= 0)");
  const Dp = dp4(D), row = <usize>D << 2;
  const cbytes = <usize>catalog_i8_bytes(N, D), mbytes = <usize>catalog_i8_meta_bytes(D);
  assert(inside(E, <usize>N * row), "quantize_catalog_i8: catalog E out of bounds");
  assert(inside(codes, cbytes), "quantize_catalog_i8: codes out of bounds");
  assert(inside(meta, mbytes) && (meta & 15) == 0, "quantize_catalog_i8: meta out of bounds or not 16-byte aligned");
  assert(inside(special, <usize>maxSpecial * 4), "quantize_catalog_i8: special out of bounds");
  assert(disjoint(codes, cbytes, E, <usize>N * row), "quantize_catalog_i8: codes overlap the catalog");
  const scale = metaScale(meta, Dp), inv = metaInv(meta, Dp), resid = metaResid(meta, Dp), amax = metaAmax(meta, Dp), r64 = metaScratch(meta, Dp);
  for (let d = 0; d < Dp; d++) {
    store<f32>(amax + (<usize>d << 2), 0);
    store<f64>(r64 + (<usize>d << 3), 0);
  }
  // Pass 1: the finite rows' largest |value| per dimension; the other rows are special.
  const full = <usize>(D & ~3) << 2, t = D & 3;
  let ns = 0;
  for (let r = 0; r < N; r++) {
    const e = E + <usize>r * row;
    if (!finiteRow(e, D)) {
      if (ns < maxSpecial) store<i32>(special + (<usize>ns << 2), r);
      ns++;
      continue;
    }
    for (let c: usize = 0; c < full; c += 16) v128.store(amax + c, f32x4.max(v128.load(amax + c), f32x4.abs(v128.load(e + c))));
    if (t) v128.store(amax + full, f32x4.max(v128.load(amax + full), f32x4.abs(loadTail(e + full, t))));
  }
  // Scales: any positive value is sound (the residuals below are measured, not assumed).
  for (let d = 0; d < Dp; d++) {
    const a = load<f32>(amax + (<usize>d << 2));
    let s: f32 = a > 0 ? a / 127 : 1;
    if (!(s > 0)) s = <f32>SUB; // |a| subnormal: a / 127 underflowed
    store<f32>(scale + (<usize>d << 2), s);
    store<f32>(inv + (<usize>d << 2), 1 / s);
  }
  // Pass 2: the codes, group by group, and the exact residuals' maxima in f64.
  const groups = (N + 3) >> 2, nb = Dp >> 2;
  const lim = f32x4.splat(127), nlim = f32x4.splat(-127);
  let out = codes;
  for (let g = 0; g < groups; g++) {
    const r0 = g << 2;
    // row i of the group: its address, or 0 when past N or special (codes 0)
    let e0: usize = 0, e1: usize = 0, e2: usize = 0, e3: usize = 0;
    if (r0 < N && finiteRow(E + <usize>r0 * row, D)) e0 = E + <usize>r0 * row;
    if (r0 + 1 < N && finiteRow(E + <usize>(r0 + 1) * row, D)) e1 = E + <usize>(r0 + 1) * row;
    if (r0 + 2 < N && finiteRow(E + <usize>(r0 + 2) * row, D)) e2 = E + <usize>(r0 + 2) * row;
    if (r0 + 3 < N && finiteRow(E + <usize>(r0 + 3) * row, D)) e3 = E + <usize>(r0 + 3) * row;
    for (let j = 0; j < nb; j++) {
      const c = <usize>j << 4;
      const tl = c < full ? 0 : t; // the last block of a row whose D is not a multiple of 4
      const s4 = v128.load(scale + c), i4 = v128.load(inv + c);
      const q0 = codeRow(e0, c, tl, i4, lim, nlim), q1 = codeRow(e1, c, tl, i4, lim, nlim);
      const q2 = codeRow(e2, c, tl, i4, lim, nlim), q3 = codeRow(e3, c, tl, i4, lim, nlim);
      v128.store(out + c, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
      // residual maxima of dims 4j..4j+3 (a 0 row adds |0 − s·0| = 0)
      const lo = r64 + (<usize>j << 5);
      let mlo = v128.load(lo), mhi = v128.load(lo, 16);
      mlo = f64x2.max(mlo, residLo(e0, c, tl, s4, q0)); mhi = f64x2.max(mhi, residHi(e0, c, tl, s4, q0));
      mlo = f64x2.max(mlo, residLo(e1, c, tl, s4, q1)); mhi = f64x2.max(mhi, residHi(e1, c, tl, s4, q1));
      mlo = f64x2.max(mlo, residLo(e2, c, tl, s4, q2)); mhi = f64x2.max(mhi, residHi(e2, c, tl, s4, q2));
      mlo = f64x2.max(mlo, residLo(e3, c, tl, s4, q3)); mhi = f64x2.max(mhi, residHi(e3, c, tl, s4, q3));
      v128.store(lo, mlo); v128.store(lo, mhi, 16);
    }
    out += <usize>Dp << 2;
  }
  for (let d = 0; d < Dp; d++) store<f32>(resid + (<usize>d << 2), roundUpF32(load<f64>(r64 + (<usize>d << 3))));
  return ns;
}

// A row's 4 values at byte c (t trailing values in the last block, 0: a whole block), or zeros.
@inline function rowBlock(e: usize, c: usize, t: i32): v128 {
  if (e == 0) return f32x4.splat(0);
  return t ? loadTail(e + c, t) : v128.load(e + c);
}

// Codes of a row's block as i32x4: clamp(round(x / s)) (x · (1/s), rounded to nearest even).
@inline function codeRow(e: usize, c: usize, t: i32, inv: v128, lim: v128, nlim: v128): v128 {
  const x = rowBlock(e, c, t);
  return i32x4.trunc_sat_f32x4_s(f32x4.max(nlim, f32x4.min(lim, f32x4.nearest(f32x4.mul(x, inv)))));
}

// |x − s·q| of lanes 0–1 (exact in f64: s·q has at most 31 significant bits, and x and s·q are
// within a few binades of each other, or q = 0) and of lanes 2–3.
@inline function residLo(e: usize, c: usize, t: i32, s: v128, q: v128): v128 {
  const x = rowBlock(e, c, t);
  return f64x2.abs(f64x2.sub(f64x2.promote_low_f32x4(x), f64x2.mul(f64x2.promote_low_f32x4(s), f64x2.convert_low_i32x4_s(q))));
}
@inline function residHi(e: usize, c: usize, t: i32, s: v128, q: v128): v128 {
  const x = rowBlock(e, c, t);
  const xh = i32x4.shuffle(x, x, 2, 3, 0, 1), sh = i32x4.shuffle(s, s, 2, 3, 0, 1), qh = i32x4.shuffle(q, q, 2, 3, 0, 1);
  return f64x2.abs(f64x2.sub(f64x2.promote_low_f32x4(xh), f64x2.mul(f64x2.promote_low_f32x4(sh), f64x2.convert_low_i32x4_s(qh))));
}

// Bytes of the int8 part of the workspace (after topk_f32's).
function i8Bytes(Q: i32, G: i32, k: i32, D: i32, distinct: i32): f64 {
  const Qf = <f64>Q, Q4 = <f64>((Q + 3) & ~3);
  return align16(<f64>(dp4(D) >> 2) * Qf * 16) + 2 * align16(Q4 * 4) + selectBytes(Q, G, k, distinct)
       + align16(Qf * <f64>CAND * 8) + align16(Q4 * 4) + 2 * <f64>SEL_CONTEXT_BYTES + 64 + 48;
}

/**
 * Workspace bytes topk_i8 needs (a pure function of its arguments; exact in f64; at most 2^31 − 1
 * accepted). Traps on invalid shapes as topk_workspace_bytes does.
 */
export function topk_i8_workspace_bytes(Q: i32, G: i32, k: i32, D: i32, distinct: i32): f64 {
  need(validShapes(Q, G, k, D), "topk_i8_workspace_bytes: invalid shapes (need G >= 1 dividing Q >= 0, k >= 0, D >= 1)");
  return scanBytes(Q, D) + selectBytes(Q, G, k, distinct) + i8Bytes(Q, G, k, D, distinct);
}

/**
 * topk_f32's result (the same indices and scores, bit for bit) from the int8 copy of its catalog.
 *
 *   out_idx (Q, k) i32, out_score (Q, k) f32  =  top-k over i of  E (N, D) · W (Q, D)ᵀ [+ qb (Q) ⊗ b (N)]
 *
 * cat: the copy's descriptor, 5 i32 at a 4-byte aligned address: codes, meta (as written by
 * quantize_catalog_i8 from this E), the special rows' list and their count (every special row
 * listed), and 1 to scan with the relaxed dot (only where topk_i8_dot_ok said so) or 0. Every other argument as topk_f32's; ws: topk_i8_workspace_bytes(Q, G, k, D, distinct)
 * bytes, 16-byte aligned. Traps on invalid shapes (the host wrapper checks them first).
 */
export function topk_i8(E: usize, cat: usize, N: i32, D: i32, W: usize, Q: i32, G: i32, k: i32,
                        excl: usize, X: i32, distinct: i32,
                        out_idx: usize, out_score: usize, ws: usize, bias: usize, qbias: usize): void {
  need(N >= 0 && X >= 0 && validShapes(Q, G, k, D), "topk_i8: invalid shapes (need N, X, k >= 0, D >= 1, G >= 1 dividing Q >= 0)");
  if (k == 0 || Q == 0) return;
  checkCall(E, N, D, W, Q, G, k, excl, X, distinct, ws, bias, qbias);
  checkI8(cat, N, D, Q, G, k, distinct, ws);
  assert(inside(out_idx, <usize>Q * <usize>k * 4), "topk_i8: out_idx out of bounds");
  assert(inside(out_score, <usize>Q * <usize>k * 4), "topk_i8: out_score out of bounds");
  const wsBytes = <usize>topk_i8_workspace_bytes(Q, G, k, D, distinct);
  assert(disjoint(out_idx, <usize>Q * <usize>k * 4, out_score, <usize>Q * <usize>k * 4), "topk_i8: out_idx overlaps out_score");
  assert(disjoint(ws, wsBytes, out_idx, <usize>Q * <usize>k * 4), "topk_i8: workspace overlaps out_idx");
  assert(disjoint(ws, wsBytes, out_score, <usize>Q * <usize>k * 4), "topk_i8: workspace overlaps out_score");
  prepare(D, W, Q, G, k, excl, X, distinct, ws, bias, qbias, 0);
  runI8(E, cat, N, D, W, Q, G, k, excl, X, distinct, ws, bias, 0, N);
  selectFinish(k, out_idx, out_score);
}

/**
 * One part of a split int8 top-k, as topk_part_f32 is of topk_f32: rows [r0, r1) only (r0 a
 * multiple of 4), writing the part's candidates (exact f32 scores) for topk_merge_f32, which then
 * gives topk_f32's result. Arguments as topk_i8's and topk_part_f32's.
 */
export function topk_part_i8(E: usize, cat: usize, N: i32, D: i32, W: usize, Q: i32, G: i32, k: i32,
                             excl: usize, X: i32, distinct: i32, r0: i32, r1: i32,
                             cand_idx: usize, cand_score: usize, ws: usize, bias: usize, qbias: usize): void {
  need(N >= 0 && X >= 0 && validShapes(Q, G, k, D), "topk_part_i8: invalid shapes (need N, X, k >= 0, D >= 1, G >= 1 dividing Q >= 0)");
  need(r0 >= 0 && r0 <= r1 && r1 <= N && (r0 & 3) == 0, "topk_part_i8: rows [r0, r1) not inside [0, N) or r0 not a multiple of 4");
  if (k == 0 || Q == 0) return;
  checkCall(E, N, D, W, Q, G, k, excl, X, distinct, ws, bias, qbias);
  checkI8(cat, N, D, Q, G, k, distinct, ws);
  prepare(D, W, Q, G, k, excl, X, distinct, ws, bias, qbias, r0);
  runI8(E, cat, N, D, W, Q, G, k, excl, X, distinct, ws, bias, r0, r1);
  selectDump(cand_idx, cand_score);
}

/**
 * The arithmetic floor of the int8 scan: for every group of the copy's codes (catalog_i8_bytes(N,
 * D) bytes at codes) and every query, the integer dot products the scan computes (tile(), i16
 * path, the same loop and tiles of ≤ 4 queries), and nothing else: no scale, bound, threshold or
 * selection. Returns their sum over rows and queries, wrapping in i32 (so no product can be
 * dropped). What the benchmark times beside the scan: no int8 top-k can beat it.
 *   qcodes (Q, D) i8 query codes, row-major;  ws: (⌈D/4⌉·Q + 4)·16 bytes, 16-byte aligned.
 */
export function topk_i8_dots(codes: usize, N: i32, D: i32, qcodes: usize, Q: i32, ws: usize): i32 {
  need(N >= 0 && D >= 1 && Q >= 0, "topk_i8_dots: invalid shapes (need N, Q >= 0, D >= 1)");
  const nb = dp4(D) >> 2;
  assert(inside(codes, <usize>catalog_i8_bytes(N, D)), "topk_i8_dots: codes out of bounds");
  assert(inside(qcodes, <usize>Q * <usize>D), "topk_i8_dots: qcodes out of bounds");
  assert(inside(ws, (<usize>nb * <usize>Q + 4) << 4) && (ws & 15) == 0, "topk_i8_dots: workspace out of bounds or not 16-byte aligned");
  // the query blocks as the scan lays them out (prepareQueries, i16 form)
  for (let q = 0; q < Q; q++) {
    for (let d = 0; d < (nb << 2); d++) {
      const c: i16 = d < D ? <i16>load<i8>(qcodes + <usize>q * <usize>D + <usize>d) : 0;
      const blk = ws + ((<usize>(d >> 2) * <usize>Q + <usize>q) << 4);
      store<i16>(blk + <usize>((d & 3) << 1), c);
      store<i16>(blk + <usize>(((d & 3) + 4) << 1), c);
    }
  }
  const sums = ws + (<usize>nb * <usize>Q << 4), bs = <usize>Q << 4, gb = <usize>nb << 4;
  let acc = i32x4.splat(0);
  let x = codes;
  for (let g = 0, groups = (N + 3) >> 2; g < groups; g++, x += gb) {
    let q = 0;
    for (; q + 4 <= Q; q += 4) {
      tile(x, nb, ws + (<usize>q << 4), bs, 4, sums, false);
      acc = i32x4.add(acc, i32x4.add(i32x4.add(v128.load(sums), v128.load(sums, 16)), i32x4.add(v128.load(sums, 32), v128.load(sums, 48))));
    }
    const left = Q - q;
    if (left == 3) {
      tile(x, nb, ws + (<usize>q << 4), bs, 3, sums, false);
      acc = i32x4.add(acc, i32x4.add(i32x4.add(v128.load(sums), v128.load(sums, 16)), v128.load(sums, 32)));
    } else if (left == 2) {
      tile(x, nb, ws + (<usize>q << 4), bs, 2, sums, false);
      acc = i32x4.add(acc, i32x4.add(v128.load(sums), v128.load(sums, 16)));
    } else if (left == 1) {
      tile(x, nb, ws + (<usize>q << 4), bs, 1, sums, false);
      acc = i32x4.add(acc, v128.load(sums));
    }
  }
  return i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
}

/**
 * Whether this engine computes i32x4.relaxed_dot_i8x16_i7x16_add_s as its deterministic reading
 * (the exact i32 dot products of i8 × 7-bit values plus the accumulator), probed on values the
 * caller passes in (a = -127, b = 126, c = 1000: never constants the compiler could fold). 0 in the
 * SIMD128 build. Why a probe: the instruction's lowering is the engine's; Node 20's V8 on an
 * AVX-VNNI CPU was measured returning twice the dot product and dropping the accumulator, so the
 * host asks once and writes the answer into the copy's descriptor (the i16 path otherwise).
 */
export function topk_i8_dot_ok(a: i32, b: i32, c: i32): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return 0;
  // lanes: (a, b, 1, 0) per row, a row with every sign, and the saturation corner (4 · a · b)
  let vx = i8x16.splat(0), vy = i8x16.splat(0);
  vx = i8x16.replace_lane(vx, 0, <i8>a); vx = i8x16.replace_lane(vx, 1, 1); vx = i8x16.replace_lane(vx, 3, -1);
  vx = i8x16.replace_lane(vx, 4, <i8>a); vx = i8x16.replace_lane(vx, 5, <i8>a); vx = i8x16.replace_lane(vx, 6, <i8>a);
  vx = i8x16.replace_lane(vx, 7, <i8>a); vx = i8x16.replace_lane(vx, 8, <i8>-a); vx = i8x16.replace_lane(vx, 9, 2);
  vx = i8x16.replace_lane(vx, 10, 3); vx = i8x16.replace_lane(vx, 11, <i8>a); vx = i8x16.replace_lane(vx, 15, 1);
  vy = i8x16.replace_lane(vy, 0, <i8>b); vy = i8x16.replace_lane(vy, 1, 5); vy = i8x16.replace_lane(vy, 2, 9);
  vy = i8x16.replace_lane(vy, 3, 3); vy = i8x16.replace_lane(vy, 4, <i8>b); vy = i8x16.replace_lane(vy, 5, <i8>b);
  vy = i8x16.replace_lane(vy, 6, <i8>b); vy = i8x16.replace_lane(vy, 7, <i8>b); vy = i8x16.replace_lane(vy, 8, <i8>b);
  vy = i8x16.replace_lane(vy, 9, 7); vy = i8x16.replace_lane(vy, 10, 1); vy = i8x16.replace_lane(vy, 15, <i8>b);
  const r = i32x4.relaxed_dot_i8x16_i7x16_add_s(vx, vy, i32x4.splat(c));
  const e0 = a * b + 5 - 3 + c, e1 = 4 * a * b + c, e2 = -a * b + 14 + 3 + c, e3 = b + c;
  return i32x4.extract_lane(r, 0) == e0 && i32x4.extract_lane(r, 1) == e1 && i32x4.extract_lane(r, 2) == e2
    && i32x4.extract_lane(r, 3) == e3 ? 1 : 0;
}

// Debug builds: the copy's ranges; every build: the workspace size.
@inline function checkI8(cat: usize, N: i32, D: i32, Q: i32, G: i32, k: i32, distinct: i32, ws: usize): void {
  need(topk_i8_workspace_bytes(Q, G, k, D, distinct) <= 2147483647, "topk_i8: workspace above 2 GiB");
  assert(inside(cat, 20), "topk_i8: catalog descriptor out of bounds");
  assert(inside(load<usize>(cat), <usize>catalog_i8_bytes(N, D)), "topk_i8: codes out of bounds");
  assert(inside(load<usize>(cat, 4), <usize>catalog_i8_meta_bytes(D)), "topk_i8: meta out of bounds");
  assert(inside(load<usize>(cat, 8), <usize>load<i32>(cat, 12) * 4), "topk_i8: special rows out of bounds");
  assert(inside(ws, <usize>topk_i8_workspace_bytes(Q, G, k, D, distinct)), "topk_i8: workspace out of bounds");
}

// After prepare(): the scan of rows [r0, r1) into the exact selection (left as the current Sel).
function runI8(E: usize, cat: usize, N: i32, D: i32, W: usize, Q: i32, G: i32, k: i32,
               excl: usize, X: i32, distinct: i32, ws: usize, bias: usize, r0: i32, r1: i32): void {
  const Dp = dp4(D), nb = Dp >> 2, Q4 = (Q + 3) & ~3;
  const row = <usize>D << 2;
  // The int8 part of the workspace (see the header), after topk_f32's.
  const qv = ws + <usize>(scanBytes(Q, D) + selectBytes(Q, G, k, distinct));
  const qt = qv + <usize>align16(<f64>nb * <f64>Q * 16);
  const qd = qt + (<usize>Q4 << 2);
  const asel = qd + (<usize>Q4 << 2);
  const cand = asel + <usize>selectBytes(Q, G, k, distinct);
  const cnt = cand + <usize>align16(<f64>Q * <f64>CAND * 8);
  const ctxA = cnt + (<usize>Q4 << 2);
  const ctxF = ctxA + <usize>SEL_CONTEXT_BYTES;
  I8.qv = qv; I8.qt = qt; I8.qd = qd; I8.cand = cand; I8.cnt = cnt; I8.ctxA = ctxA; I8.ctxF = ctxF;
  I8.sums = ctxF + <usize>SEL_CONTEXT_BYTES; I8.tmp = I8.sums + 64;
  I8.E = E + <usize>r0 * row;
  I8.bias = bias != 0 ? bias + (<usize>r0 << 2) : 0;
  const codes = load<usize>(cat), meta = load<usize>(cat, 4), special = load<usize>(cat, 8), ns = load<i32>(cat, 12);
  const dot = ASC_FEATURE_RELAXED_SIMD && load<i32>(cat, 16) != 0;
  if (!prepareQueries(meta, D, W, Q, dot)) {
    scanRows(I8.E, r1 - r0, I8.bias); // exact f32 scan into the selection prepare() began
    return;
  }
  I8.codes = codes + <usize>(r0 >> 2) * (<usize>Dp << 2);
  I8.r0 = r0; I8.special = special; I8.ns = ns;
  I8.gbytes = <usize>Dp << 2; I8.nblk = nb;
  selectSave(ctxF);
  selectBegin(asel, Q, G, k, excl, X, distinct);
  Sel.base = r0;
  selectSave(ctxA);
  for (let q = 0; q < Q; q++) store<i32>(cnt + (<usize>q << 2), 0);
  if (dot) scanGroups(r1 - r0, Q, true);
  else scanGroups(r1 - r0, Q, false);
  for (let q = 0; q < Q; q++) flush(q);
  selectLoad(ctxF);
  // The special rows of [r0, r1), exactly.
  const qbp = Scan.qb;
  for (let i = 0; i < ns; i++) {
    const r = load<i32>(special + (<usize>i << 2));
    if (r < r0 || r >= r1) continue;
    const e = E + <usize>r * row;
    for (let q = 0; q < Q; q++) {
      let s = dotOne(e, q);
      if (bias) s = s + load<f32>(qbp + (<usize>q << 2)) * load<f32>(bias + (<usize>r << 2));
      offer(q, r - r0, s);
    }
  }
}

// Quantise the queries (codes into qv, scale into qt, bound into qd); false when some query holds
// a NaN or an infinity or its bounds leave f32's range (the call then runs the exact f32 scan).
function prepareQueries(meta: usize, D: i32, W: usize, Q: i32, dot: bool): bool {
  const QMAX = qmax(dot);
  const Dp = dp4(D), nb = Dp >> 2;
  const scale = metaScale(meta, Dp), resid = metaResid(meta, Dp), amax = metaAmax(meta, Dp);
  const n = <f64>(D + 4);
  const gamma = n * U / (1 - n * U);
  const eta = <f64>(2 * D + 8) * SUB;
  for (let q = 0; q < Q; q++) {
    const w = W + <usize>q * (<usize>D << 2);
    let vmax: f64 = 0;
    for (let d = 0; d < D; d++) {
      const x = <f64>load<f32>(w + (<usize>d << 2));
      if (!isFinite(x)) return false;
      vmax = Math.max(vmax, Math.abs(<f64>load<f32>(scale + (<usize>d << 2)) * x));
    }
    let t = <f32>(vmax / QMAX);
    if (!(t > 0) || !isFinite(t)) t = 1;
    const tf = <f64>t;
    let M: f64 = 0, E1: f64 = 0, E2: f64 = 0, Isum: f64 = 0;
    for (let d = 0; d < Dp; d++) {
      let c: f64 = 0;
      if (d < D) {
        const x = <f64>load<f32>(w + (<usize>d << 2)), ax = Math.abs(x);
        const v = <f64>load<f32>(scale + (<usize>d << 2)) * x; // exact: 24 × 24 bits
        c = Math.min(QMAX, Math.max(-QMAX, Math.round(v / tf)));
        M += <f64>load<f32>(amax + (<usize>d << 2)) * ax;
        E1 += <f64>load<f32>(resid + (<usize>d << 2)) * ax;
        E2 += 127 * Math.abs(v - tf * c);
        Isum += 127 * Math.abs(c);
      }
      // block d>>2 of query q, lane d&3 (and d&3 + 4 for the i16 form)
      const blk = I8.qv + ((<usize>(d >> 2) * <usize>Q + <usize>q) << 4);
      const ci = <i32>c;
      if (dot) {
        for (let r = 0; r < 4; r++) store<u8>(blk + <usize>(r * 4 + (d & 3)), <u8>(ci + 63));
      } else {
        store<i16>(blk + <usize>((d & 3) << 1), <i16>ci);
        store<i16>(blk + <usize>(((d & 3) + 4) << 1), <i16>ci);
      }
    }
    const T = tf * Isum;
    let delta = gamma * M + E1 + E2 + 2.01 * U * T + (Isum > 16777216 ? U * T : 0) + eta;
    delta *= 1 + 1e-6;
    if (!(M < 1e37) || !(T < 1e37) || !(delta < 1e37)) return false;
    store<f32>(I8.qt + (<usize>q << 2), t);
    store<f32>(I8.qd + (<usize>q << 2), roundUpF32(delta));
  }
  return true;
}

// [a0 + a1, a2 + a3, b0 + b1, b2 + b3]: the 4 rows' sums from the i16 dot products of rows 0–1 (a) and 2–3 (b).
@inline function pairSums(a: v128, b: v128): v128 {
  return i32x4.add(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7));
}

// Integer dot products of one group (4 rows at x, nb blocks) with T ≤ 4 consecutive queries whose
// blocks are at w (block stride bs bytes, the tile's queries 16 bytes apart): the 4 rows' sums of
// query j as i32x4 at out + 16·j (relaxed: before the row-sum correction). T is a constant at
// every call, so each call compiles to its own straight loop.
@inline function tile(x: usize, nb: i32, w: usize, bs: usize, T: i32, out: usize, dot: bool): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
  let px = x, pw = w;
  const end = x + (<usize>nb << 4);
  while (px < end) {
    if (ASC_FEATURE_RELAXED_SIMD && dot) {
      const v = v128.load(px);
      a0 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v, v128.load(pw), a0);
      if (T > 1) a1 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v, v128.load(pw, 16), a1);
      if (T > 2) a2 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v, v128.load(pw, 32), a2);
      if (T > 3) a3 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v, v128.load(pw, 48), a3);
    } else {
      // rows 0–1 and 2–3 widened to i16 as they load (one instruction each, no shuffles)
      const xl = v128.load8x8_s(px), xh = v128.load8x8_s(px, 8);
      const c0 = v128.load(pw);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xl, c0)); b0 = i32x4.add(b0, i32x4.dot_i16x8_s(xh, c0));
      if (T > 1) {
        const c1 = v128.load(pw, 16);
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xl, c1)); b1 = i32x4.add(b1, i32x4.dot_i16x8_s(xh, c1));
      }
      if (T > 2) {
        const c2 = v128.load(pw, 32);
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xl, c2)); b2 = i32x4.add(b2, i32x4.dot_i16x8_s(xh, c2));
      }
      if (T > 3) {
        const c3 = v128.load(pw, 48);
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xl, c3)); b3 = i32x4.add(b3, i32x4.dot_i16x8_s(xh, c3));
      }
    }
    px += 16; pw += bs;
  }
  if (ASC_FEATURE_RELAXED_SIMD && dot) {
    v128.store(out, a0);
    if (T > 1) v128.store(out, a1, 16);
    if (T > 2) v128.store(out, a2, 32);
    if (T > 3) v128.store(out, a3, 48);
  } else {
    v128.store(out, pairSums(a0, b0));
    if (T > 1) v128.store(out, pairSums(a1, b1), 16);
    if (T > 2) v128.store(out, pairSums(a2, b2), 32);
    if (T > 3) v128.store(out, pairSums(a3, b3), 48);
  }
}

// Relaxed build: 63 · the 4 rows' code sums (the correction of the offset query codes).
@inline function rowSums63(x: usize, nb: i32): v128 {
  let s = i32x4.splat(0);
  if (!ASC_FEATURE_RELAXED_SIMD) return s;
  const ones = i8x16.splat(1);
  const end = x + (<usize>nb << 4);
  for (let p = x; p < end; p += 16) s = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(p), ones, s);
  return i32x4.mul(s, i32x4.splat(63));
}

// The pass over n rows (relative to the range's first) for Q queries, group by group.
// dot: a constant at both calls, so each compiles to its own loop (the relaxed dot, or i16).
@inline function scanGroups(n: i32, Q: i32, dot: bool): void {
  const nb = I8.nblk, gb = I8.gbytes, bs = <usize>Q << 4, sums = I8.sums;
  const groups = (n + 3) >> 2;
  const bias = I8.bias;
  let x = I8.codes;
  for (let g = 0; g < groups; g++) {
    const rel = g << 2;
    const valid = min(4, n - rel);
    let b4 = f32x4.splat(0);
    if (bias) {
      const bp = bias + (<usize>rel << 2);
      if (valid == 4) b4 = v128.load(bp);
      else {
        // the last group of the range: never read past its rows
        b4 = v128.load32_zero(bp);
        if (valid > 1) b4 = v128.load32_lane(bp, b4, 1, 4);
        if (valid > 2) b4 = v128.load32_lane(bp, b4, 2, 8);
      }
    }
    let corr = i32x4.splat(0);
    if (dot) corr = rowSums63(x, nb);
    let q = 0;
    for (; q + 4 <= Q; q += 4) {
      tile(x, nb, I8.qv + (<usize>q << 4), bs, 4, sums, dot);
      checkTile(q, 4, rel, corr, b4, valid, dot);
    }
    const left = Q - q;
    if (left == 3) {
      tile(x, nb, I8.qv + (<usize>q << 4), bs, 3, sums, dot);
      checkTile(q, 3, rel, corr, b4, valid, dot);
    } else if (left == 2) {
      tile(x, nb, I8.qv + (<usize>q << 4), bs, 2, sums, dot);
      checkTile(q, 2, rel, corr, b4, valid, dot);
    } else if (left == 1) {
      tile(x, nb, I8.qv + (<usize>q << 4), bs, 1, sums, dot);
      check4(q, rel, v128.load(sums), corr, b4, valid, dot);
    }
    x += gb;
  }
}

// The group's check for the tile of T ≤ 4 queries from q (sums at I8.sums): when every row's U is
// below its query's threshold θ for every query of the tile — the common case — one test skips
// them all; otherwise each query's own check (check4), which computes the same U.
@inline function checkTile(q: i32, T: i32, rel: i32, corr: v128, b4: v128, valid: i32, dot: bool): void {
  const sums = I8.sums;
  let below = f32x4.lt(upper(q, v128.load(sums), corr, b4, dot), v128.load32_splat(Sel.thr + (<usize>q << 2)));
  if (T > 1) below = v128.and(below, f32x4.lt(upper(q + 1, v128.load(sums, 16), corr, b4, dot), v128.load32_splat(Sel.thr + (<usize>(q + 1) << 2))));
  if (T > 2) below = v128.and(below, f32x4.lt(upper(q + 2, v128.load(sums, 32), corr, b4, dot), v128.load32_splat(Sel.thr + (<usize>(q + 2) << 2))));
  if (T > 3) below = v128.and(below, f32x4.lt(upper(q + 3, v128.load(sums, 48), corr, b4, dot), v128.load32_splat(Sel.thr + (<usize>(q + 3) << 2))));
  if (i32x4.all_true(below)) return;
  check4(q, rel, v128.load(sums), corr, b4, valid, dot);
  if (T > 1) check4(q + 1, rel, v128.load(sums, 16), corr, b4, valid, dot);
  if (T > 2) check4(q + 2, rel, v128.load(sums, 32), corr, b4, valid, dot);
  if (T > 3) check4(q + 3, rel, v128.load(sums, 48), corr, b4, valid, dot);
}

// U of the 4 rows for query q: fl(fl(fl(I)·t) + Δ) [+ p], I the integer dot products (acc, less
// the relaxed dot's correction).
@inline function upper(q: i32, acc: v128, corr: v128, b4: v128, dot: bool): v128 {
  const I = dot ? i32x4.sub(acc, corr) : acc;
  const y = f32x4.mul(f32x4.convert_i32x4_s(I), v128.load32_splat(I8.qt + (<usize>q << 2)));
  const u = f32x4.add(y, v128.load32_splat(I8.qd + (<usize>q << 2)));
  if (I8.bias) return f32x4.add(u, f32x4.mul(v128.load32_splat(Scan.qb + (<usize>q << 2)), b4)); // as topk_f32 forms qb·b
  return u;
}

// Stage 2 for query q and one group: y = fl(I)·t, U = (y + Δ) [+ p]; the rare path only when some
// row's U reaches the query's threshold θ (or θ is NaN: its heap is not full yet).
@inline function check4(q: i32, rel: i32, acc: v128, corr: v128, b4: v128, valid: i32, dot: bool): void {
  const I = dot ? i32x4.sub(acc, corr) : acc;
  const y = f32x4.mul(f32x4.convert_i32x4_s(I), v128.load32_splat(I8.qt + (<usize>q << 2)));
  let u = f32x4.add(y, v128.load32_splat(I8.qd + (<usize>q << 2)));
  let p = f32x4.splat(0);
  if (I8.bias) {
    p = f32x4.mul(v128.load32_splat(Scan.qb + (<usize>q << 2)), b4); // as topk_f32 forms qb·b
    u = f32x4.add(u, p);
  }
  if (!i32x4.all_true(f32x4.lt(u, v128.load32_splat(Sel.thr + (<usize>q << 2))))) rare(q, rel, y, u, p, valid);
}

// The rare path: each row of the group that may still reach query q's top goes to its candidate
// buffer, and its lower bound L = (y − Δ) + p to the bounds' selection.
function rare(q: i32, rel: i32, y: v128, u: v128, p: v128, valid: i32): void {
  const t = I8.tmp;
  v128.store(t, y); v128.store(t, u, 16); v128.store(t, p, 32);
  const d = load<f32>(I8.qd + (<usize>q << 2));
  const thr = Sel.thr + (<usize>q << 2);
  for (let i = 0; i < valid; i++) {
    const o = <usize>i << 2;
    // A special row's codes are 0, so its y, U and L bound nothing: it is scored exactly apart.
    if (I8.ns && isSpecial(I8.r0 + rel + i)) continue;
    const ui = load<f32>(t + o, 16);
    if (!(ui < load<f32>(thr))) push(q, rel + i, ui);
    offer(q, rel + i, (load<f32>(t + o) - d) + load<f32>(t + o, 32));
  }
}

// Whether absolute row r is in the special list (ascending): a binary search, on the rare path only.
function isSpecial(r: i32): bool {
  let lo = 0, hi = I8.ns;
  const sp = I8.special;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = load<i32>(sp + (<usize>mid << 2));
    if (v == r) return true;
    if (v < r) lo = mid + 1; else hi = mid;
  }
  return false;
}

// Append (row, U) to query q's candidate buffer, re-ranking it first when full.
@inline function push(q: i32, row: i32, u: f32): void {
  const cp = I8.cnt + (<usize>q << 2);
  let c = load<i32>(cp);
  if (c == CAND) {
    flush(q);
    c = 0;
  }
  const slot = I8.cand + (<usize>(q * CAND + c) << 3);
  store<i32>(slot, row);
  store<f32>(slot, u, 4);
  store<i32>(cp, c + 1);
}

// Re-rank query q's buffer exactly into the exact selection: each row whose U still reaches the
// bounds' current threshold gets its f32 score (dotOne, plus qb·b as topk_f32 adds it). Called
// with the bounds' selection current; leaves it current.
function flush(q: i32): void {
  const cp = I8.cnt + (<usize>q << 2);
  const c = load<i32>(cp);
  if (c == 0) return;
  const thr = load<f32>(Sel.thr + (<usize>q << 2));
  selectLoad(I8.ctxF);
  const row = Scan.row, bias = I8.bias;
  const qb = load<f32>(Scan.qb + (<usize>q << 2));
  let slot = I8.cand + (<usize>(q * CAND) << 3);
  for (let i = 0; i < c; i++, slot += 8) {
    if (load<f32>(slot, 4) < thr) continue;
    const r = load<i32>(slot);
    let s = dotOne(I8.E + <usize>r * row, q);
    if (bias) s = s + qb * load<f32>(bias + (<usize>r << 2));
    offer(q, r, s);
  }
  store<i32>(cp, 0);
  selectLoad(I8.ctxA);
}
