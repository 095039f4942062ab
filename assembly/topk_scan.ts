// Top-k scoring of query vectors against a track catalog, the scan half: how encore turns the
// actor's K weight vectors into a recommendation list (Zhao et al. 2018, "Deep Reinforcement
// Learning for List-wise Recommendations", https://arxiv.org/abs/1801.00209: score_k(i) =
// w_k · e_i, slot k takes the best track not already chosen and not already heard), with an
// optional per-track bias that lets a scorer express popularity:
//
//   score_q(i) = w_q · e_i  +  qb[q] · b[i]          (the second term only when a bias is given)
//
// This file computes scores (the f32 catalog's scan; assembly/topk_i8.ts is the int8 catalog's);
// assembly/topk_select.ts keeps the best ones (per-query heaps,
// thresholds, exclusions, distinct groups) and writes the outputs. A scan talks to the selection
// only through Sel.thr (skip what is strictly below), offer()/offer4() and selectBegin/Finish, so
// another scan (an int8 catalog, say) can reuse the selection unchanged.
//
// Dimensions:
//   N  catalog rows (tracks)          D  embedding size
//   Q  query vectors                  G  groups (listeners); Kg = Q / G vectors per group
//   k  results per query vector       X  exclusion slots per group
//
// One pass over the catalog, which is never copied or materialised as N scores. The catalog is
// read as four streams (its quarters side by side, for the hardware prefetcher) in row blocks
// that fit L1 (≈16 KB for all four), and each block is scored by query tiles:
//   8 queries  scanOct: 4 rows × 8 queries, catalog values splatted against queries transposed
//              in the workspace (gemm's 4x8 microkernel shape), no transpose of the results; with
//              two or more such tiles the block is first packed so every load has an immediate
//              offset (scanOctRows reads a lone tile's rows in place);
//   3 queries  scanTriple: 2 rows × 3 queries, so the catalog is loaded once for all three;
//   2, 1       scanPair / scanOne: 4 rows (one per quarter) × 2 (or 1) queries.
// The 3/2/1 kernels keep v128 accumulators of lane-partial sums over D and turn 4 of them into
// one v128 of 4 scores with a shuffle/add transpose. One f32x4 compare per tile against the
// selection's thresholds decides whether anything can enter a heap; only then does the rare
// insert path (offer) run. A heap that is not full has threshold NaN, so every row is offered
// until it fills; a heap that never fills (fewer valid tracks than its capacity) keeps every row
// on that path: still correct, just slower.
//
// Score order and determinism: every score is computed the same way, whatever path produced it:
// lane l (l = 0..3) sums w[d]·e[d] for d ≡ l (mod 4) in increasing d, in f32, each step one
// madd(e, w, acc) (assembly/simd.ts: mul then add in the SIMD128 build, one fused relaxed_madd in
// the relaxed build, the same on every path of a build), and the dot product is
// (lane0 + lane2) + (lane1 + lane3). With a bias, the score is then dot + (qb[q]·b[i]): the
// product rounded to f32, then the sum (never fused, in either build: the scalar tail rows
// cannot fuse), on every path alike.
// So equal inputs give bit-identical scores, and ties are exact and resolved by lower track
// index. scanOct keeps the 4 lane classes as separate accumulators and combines them in that
// order; a test checks every path gives the same bits, with and without a bias. Without a bias
// no bias instruction runs, so scores are exactly the dot products. A NaN bias (or 0·Inf) makes
// that row's score NaN for the query, so the row is never returned to it.
//
// Workspace (16-byte aligned, topk_workspace_bytes(Q, G, k, D, distinct) bytes): the scan's part
//   Wp    (Q, Dp) f32   queries repacked with D padded to Dp = 4·⌈D/4⌉ with zeros
//   Wt    (Q8, Dp) f32  the first Q8 = 8·⌊Q/8⌋ queries as tiles of 8, each transposed (Dp, 8)
//   W3    (Q3, Dp) f32  the next Q3 = 3·⌊(Q - Q8)/3⌋ as triples, chunks interleaved [Dp/4][3][4]
//   qbp   (Q4) f32      the per-query bias weights, zero-padded to Q4 = 4·⌈Q/4⌉ (v128 loads)
//   oct   640 bytes     scanOct scratch: 4 lane classes × (4 rows × 8 queries) sums, then the scores
//   pk    (4·QB, Dp) f32  scanOct's packed row block, only when Q >= 16 (QB rows per quarter)
// then the selection's part (assembly/topk_select.ts: thresholds, heap metadata, heaps, set).


import { Sel, selectBytes, selectBegin, offer } from "./topk_select";
import { need, inside, disjoint, f32s } from "./check";
import { madd } from "./simd";

const ROW_BLOCK_BYTES: i32 = 16384;

// The scan's call context, set once per call by topk_f32 (hot loops copy what they need into
// locals). The selection's context is Sel (assembly/topk_select.ts).
@final export class Scan {
  static E: usize = 0;
  /** Catalog row stride in bytes (D·4). */
  static row: usize = 0;
  /** Bytes of the D & ~3 leading elements of a row (whole v128 chunks). */
  static full: usize = 0;
  /** D & 3 trailing elements. */
  static tail: i32 = 0;
  /** Packed queries Wp and their stride in bytes (Dp·4). */
  static wp: usize = 0;
  static wrow: usize = 0;
  /** Rows per quarter of the catalog: the pass reads the 4 quarters side by side. */
  static nq: i32 = 0;
  /** scanOct scratch: 4 classes × (4 rows × 8 queries), then the 4 × 8 scores. */
  static oct: usize = 0;
  /** Per-track bias b (N) f32, or 0 for none. */
  static bias: usize = 0;
  /** Per-query bias weights, copied zero-padded into the workspace (qbp). */
  static qb: usize = 0;
  /** The call's shapes and workspace pieces (set by prepare, read by scanRows). */
  static Q: i32 = 0;
  static Q8: i32 = 0;
  static D: i32 = 0;
  static Dp: i32 = 0;
  static wt: usize = 0;
  static w3: usize = 0;
  static pk: usize = 0;
}

@inline export function align16(n: f64): f64 {
  return Math.ceil(n / 16) * 16;
}

// Bytes of scanOct's packed row block: 4 quarters × QB rows × Dp floats.
function packBytes(D: i32): i32 {
  return 4 * quarterBlock(D) * ((D + 3) & ~3) * 4;
}

// Bytes of the scan's part of the workspace.
export function scanBytes(Q: i32, D: i32): f64 {
  const Dp = <f64>((D + 3) & ~3);
  const Qf = <f64>Q;
  const Q8 = <f64>(Q & ~7);
  const Q3 = <f64>(((Q - (Q & ~7)) / 3) * 3);
  return align16(Qf * Dp * 4) + align16(Q8 * Dp * 4) + align16(Q3 * Dp * 4) + align16(<f64>((Q + 3) & ~3) * 4) + 640
       + (Q8 >= 16 ? <f64>packBytes(D) : 0);
}

@inline export function validShapes(Q: i32, G: i32, k: i32, D: i32): bool {
  return Q >= 0 && G >= 1 && Q % G == 0 && k >= 0 && D >= 1;
}
// The D & 3 trailing elements of a row as a v128, zeros in the other lanes (never reads past the row).
@inline export function loadTail(p: usize, t: i32): v128 {
  if (t == 1) return v128.load32_zero(p);
  if (t == 2) return v128.load64_zero(p);
  return v128.load32_lane(p, v128.load64_zero(p), 2, 8);
}

// [a, b, c, d] lane-partial accumulators -> v128 of their 4 scores, each (l0 + l2) + (l1 + l3).
@inline function reduce4(a: v128, b: v128, c: v128, d: v128): v128 {
  const u = f32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7)); // [a0+a2, b0+b2, a1+a3, b1+b3]
  const v = f32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7)); // [c0+c2, d0+d2, c1+c3, d1+d3]
  return f32x4.add(i32x4.shuffle(u, v, 0, 1, 4, 5), i32x4.shuffle(u, v, 2, 3, 6, 7));
}

// offer() the 4 lanes of s, the scores of rows a, a + st, a + 2·st, a + 3·st (one per quarter), to query q.
function offer4(q: i32, a: i32, st: i32, s: v128): void {
  offer(q, a, f32x4.extract_lane(s, 0));
  offer(q, a + st, f32x4.extract_lane(s, 1));
  offer(q, a + 2 * st, f32x4.extract_lane(s, 2));
  offer(q, a + 3 * st, f32x4.extract_lane(s, 3));
}

// [b[r], b[r + st], b[r + 2·st], b[r + 3·st]]: the bias of the 4 rows a 4-stream tile scores.
@inline function bias4(b: usize, r: i32, st: i32): v128 {
  const p = b + (<usize>r << 2), s = <usize>st << 2;
  let v = v128.load32_zero(p);
  v = v128.load32_lane(p + s, v, 1);
  v = v128.load32_lane(p + 2 * s, v, 2);
  return v128.load32_lane(p + 3 * s, v, 3);
}

// Rows a..a+n of each quarter against queries q and q+1, 4 rows at a time (a+i of each quarter).
function scanPair(a: i32, n: i32, q: i32): void {
  const row = Scan.row, full = Scan.full, t = Scan.tail;
  const w0 = Scan.wp + <usize>q * Scan.wrow;
  const w1 = w0 + Scan.wrow;
  const t0 = Sel.thr + (<usize>q << 2);
  const t1 = t0 + 4;
  const qb = <usize>Scan.nq * row;
  const bias = Scan.bias, nq = Scan.nq;
  const qb0 = Scan.qb + (<usize>q << 2);
  let e = Scan.E + <usize>a * row;
  for (let i = 0; i < n; i++) {
    const e1 = e + qb, e2 = e1 + qb, e3 = e2 + qb;
    let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0), a30 = f32x4.splat(0);
    let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0), a31 = f32x4.splat(0);
    for (let c: usize = 0; c < full; c += 16) {
      // one chunk per trip: unrolling makes V8 hoist the loads and spill accumulators
      const v0 = v128.load(w0 + c);
      const v1 = v128.load(w1 + c);
      const x0 = v128.load(e + c);
      a00 = madd(x0, v0, a00);
      a01 = madd(x0, v1, a01);
      const x1 = v128.load(e1 + c);
      a10 = madd(x1, v0, a10);
      a11 = madd(x1, v1, a11);
      const x2 = v128.load(e2 + c);
      a20 = madd(x2, v0, a20);
      a21 = madd(x2, v1, a21);
      const x3 = v128.load(e3 + c);
      a30 = madd(x3, v0, a30);
      a31 = madd(x3, v1, a31);
    }
    if (t) {
      const v0 = v128.load(w0 + full);
      const v1 = v128.load(w1 + full);
      const x0 = loadTail(e + full, t), x1 = loadTail(e1 + full, t);
      const x2 = loadTail(e2 + full, t), x3 = loadTail(e3 + full, t);
      a00 = madd(x0, v0, a00); a01 = madd(x0, v1, a01);
      a10 = madd(x1, v0, a10); a11 = madd(x1, v1, a11);
      a20 = madd(x2, v0, a20); a21 = madd(x2, v1, a21);
      a30 = madd(x3, v0, a30); a31 = madd(x3, v1, a31);
    }
    let s0 = reduce4(a00, a10, a20, a30);
    let s1 = reduce4(a01, a11, a21, a31);
    if (bias) {
      const bv = bias4(bias, a + i, nq);
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(qb0), bv));
      s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(qb0, 4), bv));
    }
    // Skip unless some score beats its query's threshold (or is NaN, or a heap is filling).
    const m = v128.and(f32x4.lt(s0, v128.load32_splat(t0)), f32x4.lt(s1, v128.load32_splat(t1)));
    if (!i32x4.all_true(m)) {
      offer4(q, a + i, nq, s0);
      offer4(q + 1, a + i, nq, s1);
    }
    e += row;
  }
}

// Rows a..a+n of each quarter against query q alone, 4 rows at a time as in scanPair.
function scanOne(a: i32, n: i32, q: i32): void {
  const row = Scan.row, full = Scan.full, t = Scan.tail;
  const w0 = Scan.wp + <usize>q * Scan.wrow;
  const t0 = Sel.thr + (<usize>q << 2);
  const qb = <usize>Scan.nq * row;
  const bias = Scan.bias, nq = Scan.nq;
  const qb0 = Scan.qb + (<usize>q << 2);
  let e = Scan.E + <usize>a * row;
  for (let i = 0; i < n; i++) {
    const e1 = e + qb, e2 = e1 + qb, e3 = e2 + qb;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    // 4 chunks per trip with immediate offsets (no address add per load), then single chunks;
    // the per-lane order over d is the same either way.
    let p0 = w0, f0 = e, f1 = e1, f2 = e2, f3 = e3;
    const end4 = w0 + (full & ~63), end = w0 + full;
    while (p0 < end4) {
      {
        const v0 = v128.load(p0, 0);
        a0 = madd(v128.load(f0, 0), v0, a0);
        a1 = madd(v128.load(f1, 0), v0, a1);
        a2 = madd(v128.load(f2, 0), v0, a2);
        a3 = madd(v128.load(f3, 0), v0, a3);
      }
      {
        const v0 = v128.load(p0, 16);
        a0 = madd(v128.load(f0, 16), v0, a0);
        a1 = madd(v128.load(f1, 16), v0, a1);
        a2 = madd(v128.load(f2, 16), v0, a2);
        a3 = madd(v128.load(f3, 16), v0, a3);
      }
      {
        const v0 = v128.load(p0, 32);
        a0 = madd(v128.load(f0, 32), v0, a0);
        a1 = madd(v128.load(f1, 32), v0, a1);
        a2 = madd(v128.load(f2, 32), v0, a2);
        a3 = madd(v128.load(f3, 32), v0, a3);
      }
      {
        const v0 = v128.load(p0, 48);
        a0 = madd(v128.load(f0, 48), v0, a0);
        a1 = madd(v128.load(f1, 48), v0, a1);
        a2 = madd(v128.load(f2, 48), v0, a2);
        a3 = madd(v128.load(f3, 48), v0, a3);
      }
      p0 += 64; f0 += 64; f1 += 64; f2 += 64; f3 += 64;
    }
    while (p0 < end) {
      {
        const v0 = v128.load(p0, 0);
        a0 = madd(v128.load(f0, 0), v0, a0);
        a1 = madd(v128.load(f1, 0), v0, a1);
        a2 = madd(v128.load(f2, 0), v0, a2);
        a3 = madd(v128.load(f3, 0), v0, a3);
      }
      p0 += 16; f0 += 16; f1 += 16; f2 += 16; f3 += 16;
    }
    if (t) {
      const v0 = v128.load(w0 + full);
      a0 = madd(loadTail(e + full, t), v0, a0);
      a1 = madd(loadTail(e1 + full, t), v0, a1);
      a2 = madd(loadTail(e2 + full, t), v0, a2);
      a3 = madd(loadTail(e3 + full, t), v0, a3);
    }
    let s0 = reduce4(a0, a1, a2, a3);
    if (bias) s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(qb0), bias4(bias, a + i, nq)));
    if (!i32x4.all_true(f32x4.lt(s0, v128.load32_splat(t0)))) offer4(q, a + i, nq, s0);
    e += row;
  }
}

// Rows ia (at e) and ib (at f) against queries q, q+1, q+2 at once: 6 v128 accumulators + 3
// query chunks + 2 row chunks = 11 registers, so every catalog byte is loaded once for all three
// queries (a group of 3 vectors is encore's one-listener call). w3: the triple's chunks
// interleaved [chunk][query], so its loads take immediate offsets from one pointer.
@inline function triple2(e: usize, f: usize, ia: i32, ib: i32, q: i32, w3: usize,
                         tq: usize, full: usize, t: i32, bias: usize, q01: v128, q2: v128): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0);
  let pw = w3, pe = e, pf = f;
  const end = e + full;
  while (pe < end) {
    const v0 = v128.load(pw, 0), v1 = v128.load(pw, 16), v2 = v128.load(pw, 32);
    const x0 = v128.load(pe);
    a00 = madd(x0, v0, a00);
    a01 = madd(x0, v1, a01);
    a02 = madd(x0, v2, a02);
    const x1 = v128.load(pf);
    a10 = madd(x1, v0, a10);
    a11 = madd(x1, v1, a11);
    a12 = madd(x1, v2, a12);
    pw += 48; pe += 16; pf += 16;
  }
  if (t) {
    const v0 = v128.load(pw, 0), v1 = v128.load(pw, 16), v2 = v128.load(pw, 32);
    const x0 = loadTail(pe, t), x1 = loadTail(pf, t);
    a00 = madd(x0, v0, a00); a01 = madd(x0, v1, a01); a02 = madd(x0, v2, a02);
    a10 = madd(x1, v0, a10); a11 = madd(x1, v1, a11); a12 = madd(x1, v2, a12);
  }
  // [s(ia,q), s(ib,q), s(ia,q+1), s(ib,q+1)], and s(ia,q+2), s(ib,q+2) in lanes 0, 1 (again in 2, 3)
  let s01 = reduce4(a00, a10, a01, a11);
  const u = f32x4.add(i32x4.shuffle(a02, a12, 0, 4, 1, 5), i32x4.shuffle(a02, a12, 2, 6, 3, 7));
  let s2 = f32x4.add(u, i32x4.shuffle(u, u, 2, 3, 0, 1));
  if (bias) {
    // [b[ia], b[ib], b[ia], b[ib]] against [qb q, qb q, qb q+1, qb q+1] and qb q+2
    let bv = v128.load32_zero(bias + (<usize>ia << 2));
    bv = v128.load32_lane(bias + (<usize>ib << 2), bv, 1);
    bv = i32x4.shuffle(bv, bv, 0, 1, 0, 1);
    s01 = f32x4.add(s01, f32x4.mul(q01, bv));
    s2 = f32x4.add(s2, f32x4.mul(q2, bv));
  }
  const th = v128.load(tq);
  const m = v128.and(f32x4.lt(s01, i32x4.shuffle(th, th, 0, 0, 1, 1)), f32x4.lt(s2, i32x4.shuffle(th, th, 2, 2, 2, 2)));
  if (!i32x4.all_true(m)) {
    offer(q, ia, f32x4.extract_lane(s01, 0));
    offer(q, ib, f32x4.extract_lane(s01, 1));
    offer(q + 1, ia, f32x4.extract_lane(s01, 2));
    offer(q + 1, ib, f32x4.extract_lane(s01, 3));
    offer(q + 2, ia, f32x4.extract_lane(s2, 0));
    offer(q + 2, ib, f32x4.extract_lane(s2, 1));
  }
}

// Rows a..a+n of each quarter against queries q, q+1, q+2 (chunk-interleaved at w3): quarters
// 0 and 1, then 2 and 3.
function scanTriple(a: i32, n: i32, q: i32, w3: usize): void {
  const row = Scan.row, full = Scan.full, t = Scan.tail, nq = Scan.nq;
  const tq = Sel.thr + (<usize>q << 2);
  const qb = <usize>nq * row;
  const bias = Scan.bias;
  const qv = v128.load(Scan.qb + (<usize>q << 2)); // Scan.qb is padded to a multiple of 4 (zeros)
  const q01 = i32x4.shuffle(qv, qv, 0, 0, 1, 1), q2 = i32x4.shuffle(qv, qv, 2, 2, 2, 2);
  let e = Scan.E + <usize>a * row;
  for (let i = 0; i < n; i++) {
    const r = a + i;
    triple2(e, e + qb, r, r + nq, q, w3, tq, full, t, bias, q01, q2);
    triple2(e + 2 * qb, e + 3 * qb, r + 2 * nq, r + 3 * nq, q, w3, tq, full, t, bias, q01, q2);
    e += row;
  }
}

// Rows per quarter in a row block (the 4 quarters' blocks together ≈ ROW_BLOCK_BYTES).
@inline function quarterBlock(D: i32): i32 {
  const qb = ((ROW_BLOCK_BYTES >> 2) / (D * 4)) & ~3;
  return qb < 4 ? 4 : qb;
}

// Pack rows a..a+n (n a multiple of 4) of each quarter for scanOct: each 4-row group, chunk by
// chunk, as its 4×4 transpose [class l][row i] (64 bytes per chunk, Dp·16 bytes per group; the
// tail chunk zero-padded like the queries), so the tile's loads all use immediate offsets from
// one pointer. Groups in order quarter 0..3, then row.
function packOct(a: i32, n: i32, dst: usize): void {
  const row = Scan.row, full = Scan.full, t = Scan.tail, nq = Scan.nq;
  let o = dst;
  for (let k = 0; k < 4; k++) {
    let e = Scan.E + <usize>(k * nq + a) * row;
    for (let j = 0; j < n; j += 4) {
      const e1 = e + row, e2 = e1 + row, e3 = e2 + row;
      for (let c: usize = 0; c <= full; c += 16) {
        let x0: v128, x1: v128, x2: v128, x3: v128;
        if (c < full) {
          x0 = v128.load(e + c); x1 = v128.load(e1 + c); x2 = v128.load(e2 + c); x3 = v128.load(e3 + c);
        } else {
          if (!t) break;
          x0 = loadTail(e + c, t); x1 = loadTail(e1 + c, t); x2 = loadTail(e2 + c, t); x3 = loadTail(e3 + c, t);
        }
        const u0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5), u1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const u2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7), u3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        v128.store(o, i32x4.shuffle(u0, u1, 0, 1, 4, 5), 0);
        v128.store(o, i32x4.shuffle(u0, u1, 2, 3, 6, 7), 16);
        v128.store(o, i32x4.shuffle(u2, u3, 0, 1, 4, 5), 32);
        v128.store(o, i32x4.shuffle(u2, u3, 2, 3, 6, 7), 48);
        o += 64;
      }
      e += row << 2;
    }
  }
}

// One lane class l of a 4 rows × 8 queries tile: 8 v128 accumulators + 4 splatted catalog
// values + 2 query vectors = 14 registers (V8 keeps 15; all 4 classes at once would spill).
// acc[i][h] lanes j = Σ over d ≡ l (mod 4), d < Dp, increasing, of e[r+i][d]·w[q+4h+j][d]
// (padding adds 0·0 = +0, as in the other kernels). pk: the packed group; pend: its end.
// Stores the 8 accumulators at out, row-major [i][h].
@inline function octClass(pk: usize, pend: usize, w: usize, l: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let p = pk + (<usize>l << 4);
  let pw = w + (<usize>l << 5);
  while (p < pend) {
    const wa = v128.load(pw, 0), wb = v128.load(pw, 16);
    const s0 = v128.load32_splat(p, 0), s1 = v128.load32_splat(p, 4);
    const s2 = v128.load32_splat(p, 8), s3 = v128.load32_splat(p, 12);
    a0 = madd(s0, wa, a0); b0 = madd(s0, wb, b0);
    a1 = madd(s1, wa, a1); b1 = madd(s1, wb, b1);
    a2 = madd(s2, wa, a2); b2 = madd(s2, wb, b2);
    a3 = madd(s3, wa, a3); b3 = madd(s3, wb, b3);
    p += 64; pw += 128;
  }
  v128.store(out, a0, 0); v128.store(out, b0, 16); v128.store(out, a1, 32); v128.store(out, b1, 48);
  v128.store(out, a2, 64); v128.store(out, b2, 80); v128.store(out, a3, 96); v128.store(out, b3, 112);
}

// The 4 rows × 8 queries of an oct tile, from the four lane classes in scratch (sc, 4 × 128
// bytes) combined as (c0 + c2) + (c1 + c3), plus each row's bias (bp: the first row's, when
// bias is set) times the query's weight (qa: queries 0..3, qz: 4..7): written to sc + 512 as
// (4, 8). True when any score reaches its query's threshold (tq), so the tile must be offered.
@inline function octScores(sc: usize, tq: usize, qa: v128, qz: v128, bias: usize, bp: usize): bool {
  const ta = v128.load(tq), tb = v128.load(tq, 16);
  let m = i32x4.splat(-1);
  for (let o: usize = 0; o < 128; o += 32) {
    let sa = f32x4.add(f32x4.add(v128.load(sc + o), v128.load(sc + o, 256)), f32x4.add(v128.load(sc + o, 128), v128.load(sc + o, 384)));
    let sb = f32x4.add(f32x4.add(v128.load(sc + o, 16), v128.load(sc + o, 272)), f32x4.add(v128.load(sc + o, 144), v128.load(sc + o, 400)));
    if (bias) {
      const bs = v128.load32_splat(bp + (o >> 3)); // row o/32's bias
      sa = f32x4.add(sa, f32x4.mul(qa, bs));
      sb = f32x4.add(sb, f32x4.mul(qz, bs));
    }
    v128.store(sc + o, sa, 512); v128.store(sc + o, sb, 528);
    m = v128.and(m, v128.and(f32x4.lt(sa, ta), f32x4.lt(sb, tb)));
  }
  return !i32x4.all_true(m);
}

// The packed rows (packOct: a..a+n of each quarter) against the 8 queries q..q+7 of a transposed
// tile wt (Dp, 8): a 4 × 8 register tile as in gemm's microkernel, catalog values splatted, no
// transpose of the results. The score order's lane classes (d mod 4) are accumulated one after
// the other into scratch and combined as (c0 + c2) + (c1 + c3): bit-identical to the other
// kernels' scores.
function scanOct(pk: usize, a: i32, n: i32, q: i32, wt: usize): void {
  const gb = Scan.wrow << 2; // packed group bytes: Dp·16
  const tq = Sel.thr + (<usize>q << 2);
  const sc = Scan.oct;
  const bias = Scan.bias;
  const qa = v128.load(Scan.qb + (<usize>q << 2)), qz = v128.load(Scan.qb + (<usize>q << 2), 16);
  for (let k = 0; k < 4; k++) {
    const r0 = k * Scan.nq + a;
    for (let j = 0; j < n; j += 4) {
      const pend = pk + gb;
      octClass(pk, pend, wt, 0, sc);
      octClass(pk, pend, wt, 1, sc + 128);
      octClass(pk, pend, wt, 2, sc + 256);
      octClass(pk, pend, wt, 3, sc + 384);
      if (octScores(sc, tq, qa, qz, bias, bias + (<usize>(r0 + j) << 2))) {
        for (let i = 0; i < 4; i++) {
          for (let jj = 0; jj < 8; jj++) offer(q + jj, r0 + j + i, load<f32>(sc + 512 + (<usize>(i * 8 + jj) << 2)));
        }
      }
      pk = pend;
    }
  }
}

// octClass on rows read in place (for a single 8-query tile, where packing would not pay).
// acc[i][h] lanes j = Σ over d ≡ l (mod 4), d < D, increasing, of e[r+i][d]·w[q+4h+j][d];
// The other kernels add 0·0 = +0 where class l has no tail element; skipping that is exact, since
// an accumulator that starts at +0 is never -0 (+0 + -0 = +0) and x + 0 = x for every other x.
// Stores the 8 accumulators at out, row-major [i][h].
@inline function octClassRows(e: usize, row: usize, w: usize, full: usize, t: i32, l: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  const lo = <usize>l << 2;
  let p0 = e + lo;
  const p1 = p0 + row, p2 = p1 + row, p3 = p2 + row;
  const end = e + full;
  let pw = w + (<usize>l << 5);
  let o: usize = 0;
  while (p0 + o < end) {
    const wa = v128.load(pw, 0), wb = v128.load(pw, 16);
    const s0 = v128.load32_splat(p0 + o), s1 = v128.load32_splat(p1 + o);
    const s2 = v128.load32_splat(p2 + o), s3 = v128.load32_splat(p3 + o);
    a0 = madd(s0, wa, a0); b0 = madd(s0, wb, b0);
    a1 = madd(s1, wa, a1); b1 = madd(s1, wb, b1);
    a2 = madd(s2, wa, a2); b2 = madd(s2, wb, b2);
    a3 = madd(s3, wa, a3); b3 = madd(s3, wb, b3);
    o += 16; pw += 128;
  }
  if (t) {
    if (l < t) {
      const wa = v128.load(pw, 0), wb = v128.load(pw, 16);
      const s0 = v128.load32_splat(p0 + o), s1 = v128.load32_splat(p1 + o);
      const s2 = v128.load32_splat(p2 + o), s3 = v128.load32_splat(p3 + o);
      a0 = madd(s0, wa, a0); b0 = madd(s0, wb, b0);
      a1 = madd(s1, wa, a1); b1 = madd(s1, wb, b1);
      a2 = madd(s2, wa, a2); b2 = madd(s2, wb, b2);
      a3 = madd(s3, wa, a3); b3 = madd(s3, wb, b3);
    }
  }
  v128.store(out, a0, 0); v128.store(out, b0, 16); v128.store(out, a1, 32); v128.store(out, b1, 48);
  v128.store(out, a2, 64); v128.store(out, b2, 80); v128.store(out, a3, 96); v128.store(out, b3, 112);
}

// scanOct on rows r0..r1 (r1 - r0 a multiple of 4) read in place: with a single 8-query tile,
// packing costs more (≈ 1 instruction per catalog float) than its immediate offsets save.
function scanOctRows(r0: i32, r1: i32, q: i32, wt: usize): void {
  const row = Scan.row, full = Scan.full, t = Scan.tail;
  const tq = Sel.thr + (<usize>q << 2);
  const sc = Scan.oct;
  const bias = Scan.bias;
  const qa = v128.load(Scan.qb + (<usize>q << 2)), qz = v128.load(Scan.qb + (<usize>q << 2), 16);
  let e = Scan.E + <usize>r0 * row;
  for (let r = r0; r < r1; r += 4) {
    octClassRows(e, row, wt, full, t, 0, sc);
    octClassRows(e, row, wt, full, t, 1, sc + 128);
    octClassRows(e, row, wt, full, t, 2, sc + 256);
    octClassRows(e, row, wt, full, t, 3, sc + 384);
    if (octScores(sc, tq, qa, qz, bias, bias + (<usize>r << 2))) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 8; j++) offer(q + j, r + i, load<f32>(sc + 512 + (<usize>(i * 8 + j) << 2)));
      }
    }
    e += row << 2;
  }
}

// One row against query q, in the same summation order as the 4-row kernels.
export function dotOne(e: usize, q: i32): f32 {
  const full = Scan.full, t = Scan.tail;
  const w0 = Scan.wp + <usize>q * Scan.wrow;
  let a = f32x4.splat(0);
  for (let c: usize = 0; c < full; c += 16) a = madd(v128.load(e + c), v128.load(w0 + c), a);
  if (t) a = madd(loadTail(e + full, t), v128.load(w0 + full), a);
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 2)) + (f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 3));
}

@inline export function checkCall(E: usize, N: i32, D: i32, W: usize, Q: i32, G: i32, k: i32, excl: usize, X: i32,
                           distinct: i32, ws: usize, bias: usize, qbias: usize): void {
  const wsBytes = scanBytes(Q, D) + selectBytes(Q, G, k, distinct);
  need(wsBytes <= 2147483647, "topk_f32: workspace above 2 GiB");
  need(bias == 0 || qbias != 0, "topk_f32: a bias needs its per-query weights (qbias = 0)");
  assert(inside(E, <usize>N * <usize>D * 4), "topk_f32: catalog E out of bounds");
  assert(inside(W, <usize>Q * <usize>D * 4), "topk_f32: queries W out of bounds");
  assert(inside(excl, <usize>G * <usize>X * 4), "topk_f32: exclusions out of bounds");
  assert(inside(ws, <usize>wsBytes), "topk_f32: workspace out of bounds");
  assert((ws & 15) == 0, "topk_f32: workspace not 16-byte aligned");
  if (bias) {
    assert(inside(bias, f32s(N)), "topk_f32: bias out of bounds");
    assert(inside(qbias, f32s(Q)), "topk_f32: qbias out of bounds");
  }
  assert(disjoint(ws, <usize>wsBytes, E, <usize>N * <usize>D * 4), "topk_f32: workspace overlaps the catalog");
}

// Lay out the workspace (see the header), pack the queries and their bias weights, empty the
// selection (its track indices offset by `base`) and set the scan's context.
export function prepare(D: i32, W: usize, Q: i32, G: i32, k: i32, excl: usize, X: i32, distinct: i32,
                 ws: usize, bias: usize, qbias: usize, base: i32): void {
  const Dp = (D + 3) & ~3;
  const Q4 = (Q + 3) & ~3;

  // The scan's workspace (see the header), then the selection's.
  const Q8 = Q & ~7;
  const Q3 = ((Q - Q8) / 3) * 3;
  const wp = ws;
  const wt = wp + <usize>(Q * Dp * 4);
  const w3 = wt + <usize>(Q8 * Dp * 4);
  const qbp = w3 + <usize>(Q3 * Dp * 4);
  const oct = qbp + <usize>(Q4 * 4);
  const pk = oct + 640; // packed row block for scanOct (packBytes(D) bytes when Q >= 16)
  selectBegin(ws + <usize>scanBytes(Q, D), Q, G, k, excl, X, distinct);
  Sel.base = base;

  // Pack the queries with zero padding to Dp.
  for (let q = 0; q < Q; q++) {
    const src = W + <usize>(q * D) * 4;
    const dst = wp + <usize>(q * Dp) * 4;
    for (let d = 0; d < D; d++) store<f32>(dst + (<usize>d << 2), load<f32>(src + (<usize>d << 2)));
    for (let d = D; d < Dp; d++) store<f32>(dst + (<usize>d << 2), 0);
  }
  // The triples after them chunk-interleaved for scanTriple: triple i at w3 + i·Dp·12, chunk c of
  // its query j at + (3c + j)·16.
  for (let i = 0; i < Q3; i++) {
    const src = W + <usize>((Q8 + i) * D) * 4;
    const dst = w3 + <usize>((i / 3) * Dp * 3) * 4 + <usize>((i % 3) << 4);
    for (let d = 0; d < Dp; d++) {
      store<f32>(dst + <usize>((d >> 2) * 48 + (d & 3) * 4), d < D ? load<f32>(src + (<usize>d << 2)) : 0);
    }
  }
  // Tiles of 8 queries transposed for scanOct: tile t at wt + t·Dp·32, element (d, j) = W[8t + j][d].
  for (let q = 0; q < Q8; q++) {
    const src = W + <usize>(q * D) * 4;
    const dst = wt + <usize>((q >> 3) * Dp * 8 + (q & 7)) * 4;
    for (let d = 0; d < D; d++) store<f32>(dst + (<usize>d << 5), load<f32>(src + (<usize>d << 2)));
    for (let d = D; d < Dp; d++) store<f32>(dst + (<usize>d << 5), 0);
  }
  // The per-query bias weights, zero-padded so tiles load them as whole v128.
  for (let q = 0; q < Q4; q++) store<f32>(qbp + (<usize>q << 2), bias != 0 && q < Q ? load<f32>(qbias + (<usize>q << 2)) : 0);

  Scan.row = <usize>D << 2; Scan.full = <usize>(D & ~3) << 2; Scan.tail = D & 3;
  Scan.wp = wp; Scan.wrow = <usize>Dp << 2; Scan.oct = oct; Scan.qb = qbp;
  Scan.Q = Q; Scan.Q8 = Q8; Scan.wt = wt; Scan.w3 = w3; Scan.pk = pk; Scan.Dp = Dp; Scan.D = D;
}

// The pass over N rows at E (row indices relative to E; the selection adds its base), with the
// per-track bias of those rows at `bias` (0 for none). prepare() has run.
export function scanRows(E: usize, N: i32, bias: usize): void {
  Scan.E = E; Scan.bias = bias;
  const Q = Scan.Q, Q8 = Scan.Q8, wt = Scan.wt, w3 = Scan.w3, pk = Scan.pk, Dp = Scan.Dp;
  const qbp = Scan.qb;
  const thr = Sel.thr;

  // The pass: the catalog's four quarters [k·NQ, (k+1)·NQ), k = 0..3, walked side by side in
  // blocks of QB rows each (4·QB rows stay in L1 while every query tile scans them). Four
  // streams: the hardware prefetcher runs a fixed number of lines ahead of each, so reading four
  // at a quarter of the speed gives it four times as long to hide DRAM latency (measured on the
  // 3-query pass: one stream 1.7x the bare read of the catalog, two 1.13x, four 1.0x).
  // Rows 4·NQ..N (at most 15) go one at a time.
  const NQ = (N >> 2) & ~3;
  Scan.nq = NQ;
  const QB = quarterBlock(Scan.D);
  for (let b0 = 0; b0 < NQ; b0 += QB) {
    const n = min(QB, NQ - b0);
    let q = 0;
    if (Q8 >= 16) {
      packOct(b0, n, pk);
      for (; q < Q8; q += 8) scanOct(pk, b0, n, q, wt + <usize>(q * Dp * 4));
    } else if (Q8 == 8) {
      for (let k = 0; k < 4; k++) scanOctRows(k * NQ + b0, k * NQ + b0 + n, 0, wt);
      q = 8;
    }
    for (; q + 3 <= Q; q += 3) scanTriple(b0, n, q, w3 + <usize>((q - Q8) * Dp * 4));
    if (q + 2 <= Q) { scanPair(b0, n, q); q += 2; }
    if (q < Q) scanOne(b0, n, q);
  }
  for (let r = 4 * NQ; r < N; r++) {
    const e = E + <usize>r * Scan.row;
    for (let q = 0; q < Q; q++) {
      let s = dotOne(e, q);
      if (bias) s = s + load<f32>(qbp + (<usize>q << 2)) * load<f32>(bias + (<usize>r << 2));
      const t = load<f32>(thr + (<usize>q << 2));
      if (!(s < t)) offer(q, r, s);
    }
  }
}
