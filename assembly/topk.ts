// Top-k scoring of query vectors against a track catalog: how encore turns the actor's K
// weight vectors into a recommendation list (Zhao et al. 2018, "Deep Reinforcement Learning
// for List-wise Recommendations", https://arxiv.org/abs/1801.00209: score_k(i) = w_k · e_i,
// slot k takes the best track not already chosen and not already heard).
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
// one v128 of 4 scores with a shuffle/add transpose. Each query keeps a bounded min-heap of its
// best candidates in the workspace; its worst kept score is the threshold, and one f32x4 compare
// per tile decides whether anything beats it. Only then does the rare insert path run (NaN
// check, exclusion scan, heap update).
//
// Score order and determinism: every score is computed the same way, whatever path produced it:
// lane l (l = 0..3) sums w[d]·e[d] for d ≡ l (mod 4) in increasing d, in f32, and the score is
// (lane0 + lane2) + (lane1 + lane3). So equal embeddings give bit-identical scores, and ties are
// exact and resolved by lower track index. scanOct keeps the 4 lane classes as separate
// accumulators and combines them in that order; a test checks every path gives the same bits.
//
// Ordering: (score descending, index ascending), a total order, so the heaps' contents do not
// depend on the order rows are visited in. NaN scores never enter a heap (never returned).
// ±Infinity are ordinary scores. A row skips the insert path only when its scores are strictly
// below every threshold (an equal score may still win by a lower index). A heap that is not full
// has threshold NaN, so every row reaches the insert path until it fills (f32x4.lt against NaN
// is false). A heap that never fills (fewer valid tracks than its capacity: tiny catalogs,
// mostly-NaN scores) keeps every row on that path: still correct, just slower.
//
// Distinct mode: query j of a group (j = 0..Kg-1) keeps its top k·(j+1) candidates, which is
// enough since the queries before it take at most j·k tracks; after the pass the group is
// resolved greedily in query order with a small open-addressing hash set of taken tracks.
//
// Workspace (16-byte aligned, topk_workspace_bytes(Q, G, k, D, distinct) bytes):
//   Wp    (Q, Dp) f32   queries repacked with D padded to Dp = 4·⌈D/4⌉ with zeros
//   Wt    (Q8, Dp) f32  the first Q8 = 8·⌊Q/8⌋ queries as tiles of 8, each transposed (Dp, 8)
//   W3    (Q3, Dp) f32  the next Q3 = 3·⌊(Q - Q8)/3⌋ as triples, chunks interleaved [Dp/4][3][4]
//   thr   (Q4) f32      per-query threshold (worst kept score when the heap is full, else NaN)
//   meta  (Q, 4) i32    per-query heap count, capacity, base (in entries) and group
//   hs,hi (H) f32, i32  heap scores and indices, H = Q·k, or with distinct Σ_g Σ_j k·(j+1)
//   set   (S) i32       taken-track hash set for distinct resolution (S = 0 without it)
//   oct   640 bytes     scanOct scratch: 4 lane classes × (4 rows × 8 queries) sums, then the scores
//   pk    (4·QB, Dp) f32  scanOct's packed row block, only when Q >= 16 (QB rows per quarter)

const ROW_BLOCK_BYTES: i32 = 16384;

// Call context, set once per call (the insert path reads it; hot loops copy what they need).
let cE: usize = 0;
let cRow: usize = 0;   // catalog row stride in bytes (D·4)
let cFull: usize = 0;  // bytes of the D & ~3 leading elements (whole v128 chunks)
let cTail: i32 = 0;    // D & 3 trailing elements
let cWp: usize = 0;
let cWrow: usize = 0;  // packed query stride in bytes (Dp·4)
let cThr: usize = 0;
let cMeta: usize = 0;
let cHs: usize = 0;
let cHi: usize = 0;
let cExcl: usize = 0;
let cX: i32 = 0;
let cNQ: i32 = 0;      // rows per quarter of the catalog: the pass reads the 4 quarters side by side
let cOct: usize = 0;  // scanOct scratch: 4 classes × (4 rows × 8 queries), then the 4 × 8 scores

@inline function align16(n: f64): f64 {
  return Math.ceil(n / 16) * 16;
}

// Entries of the taken-track hash set for a group of Kg vectors (0 when not needed).
function setEntries(k: f64, Kg: f64, distinct: i32): f64 {
  if (!distinct || Kg <= 1) return 0;
  let s: f64 = 16;
  while (s < 2 * k * Kg) s *= 2;
  return s;
}

// Bytes of scanOct's packed row block: 4 quarters × QB rows × Dp floats.
function packBytes(D: i32): i32 {
  return 4 * quarterBlock(D) * ((D + 3) & ~3) * 4;
}

/**
 * Workspace bytes topk_f32 needs for these shapes (a pure function of its arguments), or -1 when
 * the shapes are invalid (G < 1, Q not a multiple of G, k < 0, D < 1) or the size exceeds 2^31-1.
 */
export function topk_workspace_bytes(Q: i32, G: i32, k: i32, D: i32, distinct: i32): i32 {
  if (Q < 0 || G < 1 || Q % G != 0 || k < 0 || D < 1) return -1;
  const Kg = <f64>(Q / G);
  const Dp = <f64>((D + 3) & ~3);
  const kf = <f64>k, Qf = <f64>Q, Gf = <f64>G;
  const H: f64 = distinct ? Gf * kf * Kg * (Kg + 1) / 2 : Qf * kf;
  const Q8 = <f64>(Q & ~7);
  const Q3 = <f64>(((Q - (Q & ~7)) / 3) * 3);
  const bytes = align16(Qf * Dp * 4) + align16(Q8 * Dp * 4) + align16(Q3 * Dp * 4) + align16((Qf + 3) * 4) + align16(Qf * 16)
              + 2 * align16(H * 4) + align16(setEntries(kf, Kg, distinct) * 4) + 640
              + (Q8 >= 16 ? <f64>packBytes(D) : 0);
  return bytes > 2147483647 ? -1 : <i32>bytes;
}

// (sa, ia) ranks below (sb, ib): lower score, or equal score and higher index.
@inline function worse(sa: f32, ia: i32, sb: f32, ib: i32): bool {
  return sa < sb || (sa == sb && ia > ib);
}

// Min-heap by rank (root = worst kept candidate). hs/hi are byte addresses of entry 0.
function siftDown(hs: usize, hi: usize, n: i32, at: i32, s: f32, id: i32): void {
  let p = at;
  for (;;) {
    let c = 2 * p + 1;
    if (c >= n) break;
    let cs = load<f32>(hs + (<usize>c << 2));
    let ci = load<i32>(hi + (<usize>c << 2));
    if (c + 1 < n) {
      const rs = load<f32>(hs + (<usize>(c + 1) << 2));
      const ri = load<i32>(hi + (<usize>(c + 1) << 2));
      if (worse(rs, ri, cs, ci)) { c = c + 1; cs = rs; ci = ri; }
    }
    if (!worse(cs, ci, s, id)) break;
    store<f32>(hs + (<usize>p << 2), cs);
    store<i32>(hi + (<usize>p << 2), ci);
    p = c;
  }
  store<f32>(hs + (<usize>p << 2), s);
  store<i32>(hi + (<usize>p << 2), id);
}

function siftUp(hs: usize, hi: usize, at: i32, s: f32, id: i32): void {
  let p = at;
  while (p > 0) {
    const up = (p - 1) >> 1;
    const us = load<f32>(hs + (<usize>up << 2));
    const ui = load<i32>(hi + (<usize>up << 2));
    if (!worse(s, id, us, ui)) break;
    store<f32>(hs + (<usize>p << 2), us);
    store<i32>(hi + (<usize>p << 2), ui);
    p = up;
  }
  store<f32>(hs + (<usize>p << 2), s);
  store<i32>(hi + (<usize>p << 2), id);
}

// The rare path: offer track `id` with score `s` to query q's heap. Rows reach a query in any
// order (the pass interleaves the quarters of the catalog), so a full heap takes a newcomer that
// ranks above its root: a higher score, or the same score and a lower index.
function offer(q: i32, id: i32, s: f32): void {
  if (s != s) return; // NaN never wins
  const meta = cMeta + (<usize>q << 4);
  const n = load<i32>(meta);
  const cap = load<i32>(meta, 4);
  const base = <usize>load<i32>(meta, 8) << 2;
  const hs = cHs + base, hi = cHi + base;
  if (n == cap && !worse(load<f32>(hs), load<i32>(hi), s, id)) return;
  const ex = cExcl + (<usize>(load<i32>(meta, 12) * cX) << 2);
  for (let x = 0; x < cX; x++) {
    if (load<i32>(ex + (<usize>x << 2)) == id) return;
  }
  if (n < cap) {
    siftUp(hs, hi, n, s, id);
    store<i32>(meta, n + 1);
    if (n + 1 == cap) store<f32>(cThr + (<usize>q << 2), load<f32>(hs));
  } else {
    siftDown(hs, hi, n, 0, s, id);
    store<f32>(cThr + (<usize>q << 2), load<f32>(hs));
  }
}

// Offer the 4 scores of rows a, a + NQ, a + 2·NQ, a + 3·NQ (one per quarter) to query q.
function offer4(q: i32, a: i32, s: v128): void {
  const nq = cNQ;
  offer(q, a, f32x4.extract_lane(s, 0));
  offer(q, a + nq, f32x4.extract_lane(s, 1));
  offer(q, a + 2 * nq, f32x4.extract_lane(s, 2));
  offer(q, a + 3 * nq, f32x4.extract_lane(s, 3));
}

// The D & 3 trailing elements of a row as a v128, zeros in the other lanes (never reads past the row).
@inline function loadTail(p: usize, t: i32): v128 {
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

// Rows a..a+n of each quarter against queries q and q+1, 4 rows at a time (a+i of each quarter).
function scanPair(a: i32, n: i32, q: i32): void {
  const row = cRow, full = cFull, t = cTail;
  const w0 = cWp + <usize>q * cWrow;
  const w1 = w0 + cWrow;
  const t0 = cThr + (<usize>q << 2);
  const t1 = t0 + 4;
  const qb = <usize>cNQ * row;
  let e = cE + <usize>a * row;
  for (let i = 0; i < n; i++) {
    const e1 = e + qb, e2 = e1 + qb, e3 = e2 + qb;
    let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0), a30 = f32x4.splat(0);
    let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0), a31 = f32x4.splat(0);
    for (let c: usize = 0; c < full; c += 16) {
      // one chunk per trip: unrolling makes V8 hoist the loads and spill accumulators
      const v0 = v128.load(w0 + c);
      const v1 = v128.load(w1 + c);
      const x0 = v128.load(e + c);
      a00 = f32x4.add(a00, f32x4.mul(x0, v0));
      a01 = f32x4.add(a01, f32x4.mul(x0, v1));
      const x1 = v128.load(e1 + c);
      a10 = f32x4.add(a10, f32x4.mul(x1, v0));
      a11 = f32x4.add(a11, f32x4.mul(x1, v1));
      const x2 = v128.load(e2 + c);
      a20 = f32x4.add(a20, f32x4.mul(x2, v0));
      a21 = f32x4.add(a21, f32x4.mul(x2, v1));
      const x3 = v128.load(e3 + c);
      a30 = f32x4.add(a30, f32x4.mul(x3, v0));
      a31 = f32x4.add(a31, f32x4.mul(x3, v1));
    }
    if (t) {
      const v0 = v128.load(w0 + full);
      const v1 = v128.load(w1 + full);
      const x0 = loadTail(e + full, t), x1 = loadTail(e1 + full, t);
      const x2 = loadTail(e2 + full, t), x3 = loadTail(e3 + full, t);
      a00 = f32x4.add(a00, f32x4.mul(x0, v0)); a01 = f32x4.add(a01, f32x4.mul(x0, v1));
      a10 = f32x4.add(a10, f32x4.mul(x1, v0)); a11 = f32x4.add(a11, f32x4.mul(x1, v1));
      a20 = f32x4.add(a20, f32x4.mul(x2, v0)); a21 = f32x4.add(a21, f32x4.mul(x2, v1));
      a30 = f32x4.add(a30, f32x4.mul(x3, v0)); a31 = f32x4.add(a31, f32x4.mul(x3, v1));
    }
    const s0 = reduce4(a00, a10, a20, a30);
    const s1 = reduce4(a01, a11, a21, a31);
    // Skip unless some score beats its query's threshold (or is NaN, or a heap is filling).
    const m = v128.and(f32x4.lt(s0, v128.load32_splat(t0)), f32x4.lt(s1, v128.load32_splat(t1)));
    if (!i32x4.all_true(m)) {
      offer4(q, a + i, s0);
      offer4(q + 1, a + i, s1);
    }
    e += row;
  }
}

// Rows a..a+n of each quarter against query q alone, 4 rows at a time as in scanPair.
function scanOne(a: i32, n: i32, q: i32): void {
  const row = cRow, full = cFull, t = cTail;
  const w0 = cWp + <usize>q * cWrow;
  const t0 = cThr + (<usize>q << 2);
  const qb = <usize>cNQ * row;
  let e = cE + <usize>a * row;
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
        a0 = f32x4.add(a0, f32x4.mul(v128.load(f0, 0), v0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(f1, 0), v0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(f2, 0), v0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(f3, 0), v0));
      }
      {
        const v0 = v128.load(p0, 16);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(f0, 16), v0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(f1, 16), v0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(f2, 16), v0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(f3, 16), v0));
      }
      {
        const v0 = v128.load(p0, 32);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(f0, 32), v0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(f1, 32), v0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(f2, 32), v0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(f3, 32), v0));
      }
      {
        const v0 = v128.load(p0, 48);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(f0, 48), v0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(f1, 48), v0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(f2, 48), v0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(f3, 48), v0));
      }
      p0 += 64; f0 += 64; f1 += 64; f2 += 64; f3 += 64;
    }
    while (p0 < end) {
      {
        const v0 = v128.load(p0, 0);
        a0 = f32x4.add(a0, f32x4.mul(v128.load(f0, 0), v0));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(f1, 0), v0));
        a2 = f32x4.add(a2, f32x4.mul(v128.load(f2, 0), v0));
        a3 = f32x4.add(a3, f32x4.mul(v128.load(f3, 0), v0));
      }
      p0 += 16; f0 += 16; f1 += 16; f2 += 16; f3 += 16;
    }
    if (t) {
      const v0 = v128.load(w0 + full);
      a0 = f32x4.add(a0, f32x4.mul(loadTail(e + full, t), v0));
      a1 = f32x4.add(a1, f32x4.mul(loadTail(e1 + full, t), v0));
      a2 = f32x4.add(a2, f32x4.mul(loadTail(e2 + full, t), v0));
      a3 = f32x4.add(a3, f32x4.mul(loadTail(e3 + full, t), v0));
    }
    const s0 = reduce4(a0, a1, a2, a3);
    if (!i32x4.all_true(f32x4.lt(s0, v128.load32_splat(t0)))) offer4(q, a + i, s0);
    e += row;
  }
}

// Rows ia (at e) and ib (at f) against queries q, q+1, q+2 at once: 6 v128 accumulators + 3
// query chunks + 2 row chunks = 11 registers, so every catalog byte is loaded once for all three
// queries (a group of 3 vectors is encore's one-listener call). w3: the triple's chunks
// interleaved [chunk][query], so its loads take immediate offsets from one pointer.
@inline function triple2(e: usize, f: usize, ia: i32, ib: i32, q: i32, w3: usize,
                         tq: usize, full: usize, t: i32): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0);
  let pw = w3, pe = e, pf = f;
  const end = e + full;
  while (pe < end) {
    const v0 = v128.load(pw, 0), v1 = v128.load(pw, 16), v2 = v128.load(pw, 32);
    const x0 = v128.load(pe);
    a00 = f32x4.add(a00, f32x4.mul(x0, v0));
    a01 = f32x4.add(a01, f32x4.mul(x0, v1));
    a02 = f32x4.add(a02, f32x4.mul(x0, v2));
    const x1 = v128.load(pf);
    a10 = f32x4.add(a10, f32x4.mul(x1, v0));
    a11 = f32x4.add(a11, f32x4.mul(x1, v1));
    a12 = f32x4.add(a12, f32x4.mul(x1, v2));
    pw += 48; pe += 16; pf += 16;
  }
  if (t) {
    const v0 = v128.load(pw, 0), v1 = v128.load(pw, 16), v2 = v128.load(pw, 32);
    const x0 = loadTail(pe, t), x1 = loadTail(pf, t);
    a00 = f32x4.add(a00, f32x4.mul(x0, v0)); a01 = f32x4.add(a01, f32x4.mul(x0, v1)); a02 = f32x4.add(a02, f32x4.mul(x0, v2));
    a10 = f32x4.add(a10, f32x4.mul(x1, v0)); a11 = f32x4.add(a11, f32x4.mul(x1, v1)); a12 = f32x4.add(a12, f32x4.mul(x1, v2));
  }
  // [s(ia,q), s(ib,q), s(ia,q+1), s(ib,q+1)], and s(ia,q+2), s(ib,q+2) in lanes 0, 1 (again in 2, 3)
  const s01 = reduce4(a00, a10, a01, a11);
  const u = f32x4.add(i32x4.shuffle(a02, a12, 0, 4, 1, 5), i32x4.shuffle(a02, a12, 2, 6, 3, 7));
  const s2 = f32x4.add(u, i32x4.shuffle(u, u, 2, 3, 0, 1));
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
  const row = cRow, full = cFull, t = cTail, nq = cNQ;
  const tq = cThr + (<usize>q << 2);
  const qb = <usize>nq * row;
  let e = cE + <usize>a * row;
  for (let i = 0; i < n; i++) {
    const r = a + i;
    triple2(e, e + qb, r, r + nq, q, w3, tq, full, t);
    triple2(e + 2 * qb, e + 3 * qb, r + 2 * nq, r + 3 * nq, q, w3, tq, full, t);
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
  const row = cRow, full = cFull, t = cTail, nq = cNQ;
  let o = dst;
  for (let k = 0; k < 4; k++) {
    let e = cE + <usize>(k * nq + a) * row;
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
    a0 = f32x4.add(a0, f32x4.mul(s0, wa)); b0 = f32x4.add(b0, f32x4.mul(s0, wb));
    a1 = f32x4.add(a1, f32x4.mul(s1, wa)); b1 = f32x4.add(b1, f32x4.mul(s1, wb));
    a2 = f32x4.add(a2, f32x4.mul(s2, wa)); b2 = f32x4.add(b2, f32x4.mul(s2, wb));
    a3 = f32x4.add(a3, f32x4.mul(s3, wa)); b3 = f32x4.add(b3, f32x4.mul(s3, wb));
    p += 64; pw += 128;
  }
  v128.store(out, a0, 0); v128.store(out, b0, 16); v128.store(out, a1, 32); v128.store(out, b1, 48);
  v128.store(out, a2, 64); v128.store(out, b2, 80); v128.store(out, a3, 96); v128.store(out, b3, 112);
}

// The packed rows (packOct: a..a+n of each quarter) against the 8 queries q..q+7 of a transposed
// tile wt (Dp, 8): a 4 × 8 register tile as in gemm's microkernel, catalog values splatted, no
// transpose of the results. The score order's lane classes (d mod 4) are accumulated one after
// the other into scratch and combined as (c0 + c2) + (c1 + c3): bit-identical to the other
// kernels' scores.
function scanOct(pk: usize, a: i32, n: i32, q: i32, wt: usize): void {
  const gb = cWrow << 2; // packed group bytes: Dp·16
  const tq = cThr + (<usize>q << 2);
  const sc = cOct;
  for (let k = 0; k < 4; k++) {
    const r0 = k * cNQ + a;
    for (let j = 0; j < n; j += 4) {
      const pend = pk + gb;
      octClass(pk, pend, wt, 0, sc);
      octClass(pk, pend, wt, 1, sc + 128);
      octClass(pk, pend, wt, 2, sc + 256);
      octClass(pk, pend, wt, 3, sc + 384);
      const ta = v128.load(tq), tb = v128.load(tq, 16);
      let m = i32x4.splat(-1);
      for (let o: usize = 0; o < 128; o += 32) {
        const sa = f32x4.add(f32x4.add(v128.load(sc + o), v128.load(sc + o, 256)), f32x4.add(v128.load(sc + o, 128), v128.load(sc + o, 384)));
        const sb = f32x4.add(f32x4.add(v128.load(sc + o, 16), v128.load(sc + o, 272)), f32x4.add(v128.load(sc + o, 144), v128.load(sc + o, 400)));
        v128.store(sc + o, sa, 512); v128.store(sc + o, sb, 528);
        m = v128.and(m, v128.and(f32x4.lt(sa, ta), f32x4.lt(sb, tb)));
      }
      if (!i32x4.all_true(m)) {
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
    a0 = f32x4.add(a0, f32x4.mul(s0, wa)); b0 = f32x4.add(b0, f32x4.mul(s0, wb));
    a1 = f32x4.add(a1, f32x4.mul(s1, wa)); b1 = f32x4.add(b1, f32x4.mul(s1, wb));
    a2 = f32x4.add(a2, f32x4.mul(s2, wa)); b2 = f32x4.add(b2, f32x4.mul(s2, wb));
    a3 = f32x4.add(a3, f32x4.mul(s3, wa)); b3 = f32x4.add(b3, f32x4.mul(s3, wb));
    o += 16; pw += 128;
  }
  if (t) {
    if (l < t) {
      const wa = v128.load(pw, 0), wb = v128.load(pw, 16);
      const s0 = v128.load32_splat(p0 + o), s1 = v128.load32_splat(p1 + o);
      const s2 = v128.load32_splat(p2 + o), s3 = v128.load32_splat(p3 + o);
      a0 = f32x4.add(a0, f32x4.mul(s0, wa)); b0 = f32x4.add(b0, f32x4.mul(s0, wb));
      a1 = f32x4.add(a1, f32x4.mul(s1, wa)); b1 = f32x4.add(b1, f32x4.mul(s1, wb));
      a2 = f32x4.add(a2, f32x4.mul(s2, wa)); b2 = f32x4.add(b2, f32x4.mul(s2, wb));
      a3 = f32x4.add(a3, f32x4.mul(s3, wa)); b3 = f32x4.add(b3, f32x4.mul(s3, wb));
    }
  }
  v128.store(out, a0, 0); v128.store(out, b0, 16); v128.store(out, a1, 32); v128.store(out, b1, 48);
  v128.store(out, a2, 64); v128.store(out, b2, 80); v128.store(out, a3, 96); v128.store(out, b3, 112);
}

// scanOct on rows r0..r1 (r1 - r0 a multiple of 4) read in place: with a single 8-query tile,
// packing costs more (≈ 1 instruction per catalog float) than its immediate offsets save.
function scanOctRows(r0: i32, r1: i32, q: i32, wt: usize): void {
  const row = cRow, full = cFull, t = cTail;
  const tq = cThr + (<usize>q << 2);
  const sc = cOct;
  let e = cE + <usize>r0 * row;
  for (let r = r0; r < r1; r += 4) {
    octClassRows(e, row, wt, full, t, 0, sc);
    octClassRows(e, row, wt, full, t, 1, sc + 128);
    octClassRows(e, row, wt, full, t, 2, sc + 256);
    octClassRows(e, row, wt, full, t, 3, sc + 384);
    const ta = v128.load(tq), tb = v128.load(tq, 16);
    let m = i32x4.splat(-1);
    for (let o: usize = 0; o < 128; o += 32) {
      const sa = f32x4.add(f32x4.add(v128.load(sc + o), v128.load(sc + o, 256)), f32x4.add(v128.load(sc + o, 128), v128.load(sc + o, 384)));
      const sb = f32x4.add(f32x4.add(v128.load(sc + o, 16), v128.load(sc + o, 272)), f32x4.add(v128.load(sc + o, 144), v128.load(sc + o, 400)));
      v128.store(sc + o, sa, 512); v128.store(sc + o, sb, 528);
      m = v128.and(m, v128.and(f32x4.lt(sa, ta), f32x4.lt(sb, tb)));
    }
    if (!i32x4.all_true(m)) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 8; j++) offer(q + j, r + i, load<f32>(sc + 512 + (<usize>(i * 8 + j) << 2)));
      }
    }
    e += row << 2;
  }
}

// One row against query q, in the same summation order as the 4-row kernels.
function dotOne(e: usize, q: i32): f32 {
  const full = cFull, t = cTail;
  const w0 = cWp + <usize>q * cWrow;
  let a = f32x4.splat(0);
  for (let c: usize = 0; c < full; c += 16) a = f32x4.add(a, f32x4.mul(v128.load(e + c), v128.load(w0 + c)));
  if (t) a = f32x4.add(a, f32x4.mul(loadTail(e + full, t), v128.load(w0 + full)));
  return (f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 2)) + (f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 3));
}

@inline function setSlot(id: i32, mask: i32): i32 {
  return ((id * 0x9E3779B1) ^ (id >>> 15)) & mask;
}

/**
 * Top-k scores of Q query vectors against a catalog, one pass.
 *
 *   out_idx (Q, k) i32, out_score (Q, k) f32  =  top-k over i of  E (N, D) · W (Q, D)ᵀ
 *
 * E, W, excl, out_idx, out_score, ws are byte addresses (E and W need no alignment; ws 16-byte
 * aligned, topk_workspace_bytes(Q, G, k, D, distinct) bytes). Queries come in G groups of Kg = Q/G
 * consecutive vectors; excl (G, X) i32 lists per group the track indices never to return (-1 =
 * padding; duplicates and out-of-range values are harmless). Row q of the output holds query q's
 * best tracks, best first (score descending, ties by lower index); with distinct = 1 no track
 * appears twice within a group (query j skips what queries 0..j-1 of its group took). Tracks with
 * a NaN score are never returned; slots left without a valid track get index -1 and score NaN.
 * k = 0 returns at once without reading anything. Returns 0, or -1 on invalid shapes (the host
 * wrapper checks shapes before calling, so -1 means a caller bypassed it).
 */
export function topk_f32(E: usize, N: i32, D: i32, W: usize, Q: i32, G: i32, k: i32,
                         excl: usize, X: i32, distinct: i32,
                         out_idx: usize, out_score: usize, ws: usize): i32 {
  if (N < 0 || D < 1 || Q < 0 || G < 1 || Q % G != 0 || k < 0 || X < 0) return -1;
  if (k == 0 || Q == 0) return 0;
  const Kg = Q / G;
  const Dp = (D + 3) & ~3;
  const Q4 = (Q + 3) & ~3;

  // Workspace layout (see the header).
  const Q8 = Q & ~7;
  const wp = ws;
  const wt = wp + <usize>(Q * Dp * 4);
  const Q3 = ((Q - Q8) / 3) * 3;
  const w3 = wt + <usize>(Q8 * Dp * 4);
  const thr = w3 + <usize>(Q3 * Dp * 4);
  const meta = thr + <usize>(Q4 * 4);
  const hs = meta + <usize>(Q * 16);
  const H: i32 = distinct ? G * (k * Kg * (Kg + 1) / 2) : Q * k;
  const hi = hs + ((<usize>H * 4 + 15) & ~15);
  const set = hi + ((<usize>H * 4 + 15) & ~15);
  const S = <i32>setEntries(<f64>k, <f64>Kg, distinct);
  const oct = set + <usize>(S * 4);

  // Pack the queries with zero padding to Dp, and set up the heaps.
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
  for (let q = 0; q < Q4; q++) store<f32>(thr + (<usize>q << 2), NaN);
  for (let q = 0; q < Q; q++) {
    const g = q / Kg, j = q - g * Kg;
    const m = meta + (<usize>q << 4);
    store<i32>(m, 0);
    if (distinct) {
      store<i32>(m, k * (j + 1), 4);
      store<i32>(m, g * (k * Kg * (Kg + 1) / 2) + k * j * (j + 1) / 2, 8);
    } else {
      store<i32>(m, k, 4);
      store<i32>(m, q * k, 8);
    }
    store<i32>(m, g, 12);
  }

  cE = E; cRow = <usize>D << 2; cFull = <usize>(D & ~3) << 2; cTail = D & 3;
  cWp = wp; cWrow = <usize>Dp << 2; cThr = thr; cMeta = meta; cHs = hs; cHi = hi;
  cExcl = excl; cX = X; cOct = oct;
  const pk = cOct + 640; // packed row block for scanOct (packBytes(D) bytes when Q >= 16)

  // The pass: the catalog's four quarters [k·NQ, (k+1)·NQ), k = 0..3, walked side by side in
  // blocks of QB rows each (4·QB rows stay in L1 while every query tile scans them). Four
  // streams: the hardware prefetcher runs a fixed number of lines ahead of each, so reading four
  // at a quarter of the speed gives it four times as long to hide DRAM latency (measured on the
  // 3-query pass: one stream 1.7x the bare read of the catalog, two 1.13x, four 1.0x).
  // Rows 4·NQ..N (at most 15) go one at a time.
  const NQ = (N >> 2) & ~3;
  cNQ = NQ;
  const QB = quarterBlock(D);
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
    const e = E + <usize>r * cRow;
    for (let q = 0; q < Q; q++) {
      const s = dotOne(e, q);
      const t = load<f32>(thr + (<usize>q << 2));
      if (!(s < t)) offer(q, r, s);
    }
  }

  // Sort each heap best-first in place (heap sort: the root, the worst, goes to the end).
  for (let q = 0; q < Q; q++) {
    const m = meta + (<usize>q << 4);
    const n = load<i32>(m);
    const base = <usize>load<i32>(m, 8) << 2;
    const qs = hs + base, qi = hi + base;
    for (let end = n - 1; end > 0; end--) {
      const ps = load<f32>(qs + (<usize>end << 2));
      const pi = load<i32>(qi + (<usize>end << 2));
      store<f32>(qs + (<usize>end << 2), load<f32>(qs));
      store<i32>(qi + (<usize>end << 2), load<i32>(qi));
      siftDown(qs, qi, end, 0, ps, pi);
    }
  }

  // Emit: each query takes its best candidates (with distinct: those its group has not taken yet).
  const mask = S - 1;
  for (let g = 0; g < G; g++) {
    if (S) for (let i = 0; i < S; i++) store<i32>(set + (<usize>i << 2), -1);
    for (let j = 0; j < Kg; j++) {
      const q = g * Kg + j;
      const m = meta + (<usize>q << 4);
      const n = load<i32>(m);
      const base = <usize>load<i32>(m, 8) << 2;
      const qs = hs + base, qi = hi + base;
      const oi = out_idx + (<usize>(q * k) << 2), os = out_score + (<usize>(q * k) << 2);
      let taken = 0;
      for (let c = 0; c < n && taken < k; c++) {
        const id = load<i32>(qi + (<usize>c << 2));
        if (S) {
          let h = setSlot(id, mask);
          let seen = false;
          for (;;) {
            const v = load<i32>(set + (<usize>h << 2));
            if (v == id) { seen = true; break; }
            if (v < 0) break;
            h = (h + 1) & mask;
          }
          if (seen) continue;
          if (j + 1 < Kg) store<i32>(set + (<usize>h << 2), id);
        }
        store<i32>(oi + (<usize>taken << 2), id);
        store<f32>(os + (<usize>taken << 2), load<f32>(qs + (<usize>c << 2)));
        taken++;
      }
      for (; taken < k; taken++) {
        store<i32>(oi + (<usize>taken << 2), -1);
        store<f32>(os + (<usize>taken << 2), NaN);
      }
    }
  }
  return 0;
}
