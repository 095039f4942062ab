// Top-k selection: per-query bounded heaps, their thresholds, the insert path, and the final sort
// and distinct resolution. The scan kernels (assembly/topk_scan.ts; the int8 scan the same way)
// compute scores however they like and talk to the selection only through this file:
//
//   selectBytes(Q, G, k, distinct)         bytes of the selection's part of the workspace
//   selectBegin(ws, Q, G, k, excl, X, distinct)
//                                          lays that part out at ws (16-byte aligned) and empties
//                                          the heaps; sets the call context below
//   Sel.thr                                per-query thresholds, f32 [Q rounded up to 4]: a score
//                                          strictly below thr[q] can never enter q's heap, so a
//                                          scan may skip offering it (thr[q] is NaN while the heap
//                                          is not full: every comparison with it is false)
//   offer(q, id, s)                        the insert path: offer track id with score s to query q
//   selectDump / selectMerge               a split top-k: a part copies its heaps out, the merge
//                                          offers every part's candidates to a fresh selection
//   selectFinish(k, out_idx, out_score)    sorts every heap best first, resolves distinct groups,
//                                          writes the outputs
//
// Ordering: (score descending, index ascending), a total order, so the heaps' contents do not
// depend on the order rows are offered in. NaN scores never enter a heap (never returned);
// ±Infinity are ordinary scores. A full heap takes a newcomer that ranks above its root (a higher
// score, or the same score and a lower index), so a scan must offer a row whose score EQUALS a
// threshold (it may win by index): skip only when strictly below.
//
// Distinct mode: query j of a group (j = 0..Kg-1) keeps its top k·(j+1) candidates, which is
// enough since the queries before it take at most j·k tracks; selectFinish resolves each group
// greedily in query order with a small open-addressing hash set of taken tracks.
//
// Workspace part (16-byte aligned pieces):
//   thr   (Q4) f32      per-query threshold, Q4 = 4·⌈Q/4⌉ (padding lanes NaN, never consulted)
//   meta  (Q, 4) i32    per-query heap count, capacity, base (in entries) and group
//   hs,hi (H) f32, i32  heap scores and indices, H = Q·k, or with distinct Σ_g Σ_j k·(j+1)
//   set   (S) i32       taken-track hash set for distinct resolution (S = 0 without it)

// The call context: one top-k call at a time (a wasm instance is single-threaded). Set by
// selectBegin, read by offer and selectFinish, and by the scans (thr only).
@final export class Sel {
  /** Per-query thresholds, f32 (see above). The only field a scan reads. */
  static thr: usize = 0;
  static meta: usize = 0;
  static hs: usize = 0;
  static hi: usize = 0;
  static set: usize = 0;
  /** Entries of the taken-track set (a power of two), 0 without distinct. */
  static S: i32 = 0;
  static excl: usize = 0;
  static X: i32 = 0;
  static Q: i32 = 0;
  static G: i32 = 0;
  /** Added to every offered row index: a scan over rows [r0, r1) offers r - r0 (topk_part_f32). */
  static base: i32 = 0;
}

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

// Heap entries for all queries.
@inline function heapEntries(Q: f64, G: f64, k: f64, distinct: i32): f64 {
  const Kg = Q / G;
  return distinct ? G * k * Kg * (Kg + 1) / 2 : Q * k;
}

/** Heap entries of all queries: the candidates one part of a split top-k hands to the merge. */
export function candidateEntries(Q: i32, G: i32, k: i32, distinct: i32): f64 {
  return heapEntries(<f64>Q, <f64>G, <f64>k, distinct);
}

/** Bytes of the selection's part of the workspace (shapes already checked: G ≥ 1 divides Q, k ≥ 0). */
export function selectBytes(Q: i32, G: i32, k: i32, distinct: i32): f64 {
  const Qf = <f64>Q, H = heapEntries(Qf, <f64>G, <f64>k, distinct);
  return align16(<f64>((Q + 3) & ~3) * 4) + align16(Qf * 16) + 2 * align16(H * 4)
       + align16(setEntries(<f64>k, Qf / <f64>G, distinct) * 4);
}

/** Lay out the selection at ws (16-byte aligned) and empty every heap (thresholds NaN). */
export function selectBegin(ws: usize, Q: i32, G: i32, k: i32, excl: usize, X: i32, distinct: i32): void {
  const Kg = Q / G;
  const Q4 = (Q + 3) & ~3;
  const H = <i32>heapEntries(<f64>Q, <f64>G, <f64>k, distinct);
  const thr = ws;
  const meta = thr + ((<usize>Q4 * 4 + 15) & ~15);
  const hs = meta + <usize>Q * 16;
  const hi = hs + ((<usize>H * 4 + 15) & ~15);
  const set = hi + ((<usize>H * 4 + 15) & ~15);
  Sel.thr = thr; Sel.meta = meta; Sel.hs = hs; Sel.hi = hi; Sel.set = set;
  Sel.S = <i32>setEntries(<f64>k, <f64>Kg, distinct);
  Sel.excl = excl; Sel.X = X; Sel.Q = Q; Sel.G = G; Sel.base = 0;
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

/**
 * The insert path: offer track `id` with score `s` to query q's heap (NaN never enters; a group's
 * exclusions never enter). Rows may arrive in any order.
 */
export function offer(q: i32, row: i32, s: f32): void {
  if (s != s) return; // NaN never wins
  const id = row + Sel.base;
  const meta = Sel.meta + (<usize>q << 4);
  const n = load<i32>(meta);
  const cap = load<i32>(meta, 4);
  const base = <usize>load<i32>(meta, 8) << 2;
  const hs = Sel.hs + base, hi = Sel.hi + base;
  if (n == cap && !worse(load<f32>(hs), load<i32>(hi), s, id)) return;
  const X = Sel.X;
  const ex = Sel.excl + (<usize>(load<i32>(meta, 12) * X) << 2);
  for (let x = 0; x < X; x++) {
    if (load<i32>(ex + (<usize>x << 2)) == id) return;
  }
  if (n < cap) {
    siftUp(hs, hi, n, s, id);
    store<i32>(meta, n + 1);
    if (n + 1 == cap) store<f32>(Sel.thr + (<usize>q << 2), load<f32>(hs));
  } else {
    siftDown(hs, hi, n, 0, s, id);
    store<f32>(Sel.thr + (<usize>q << 2), load<f32>(hs));
  }
}

@inline function setSlot(id: i32, mask: i32): i32 {
  return ((id * 0x9E3779B1) ^ (id >>> 15)) & mask;
}

/**
 * After the scan: sort each heap best first, then emit. Row q of out_idx / out_score (Q, k) gets
 * query q's best tracks (with distinct: those its group has not taken yet); slots left without a
 * valid track get index -1 and score NaN.
 */
export function selectFinish(k: i32, out_idx: usize, out_score: usize): void {
  const Q = Sel.Q, G = Sel.G, hs = Sel.hs, hi = Sel.hi, meta = Sel.meta, set = Sel.set, S = Sel.S;
  const Kg = Q / G;
  // Heap sort in place: the root, the worst, goes to the end.
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
}

/**
 * After a part's scan (topk_part_f32): copy every query's heap, unsorted, to its place in
 * cand_idx / cand_score (the heap layout: H entries), -1 and NaN in the slots it did not fill.
 */
export function selectDump(cand_idx: usize, cand_score: usize): void {
  const Q = Sel.Q, meta = Sel.meta;
  for (let q = 0; q < Q; q++) {
    const m = meta + (<usize>q << 4);
    const n = load<i32>(m), cap = load<i32>(m, 4);
    const base = <usize>load<i32>(m, 8) << 2;
    for (let c = 0; c < cap; c++) {
      const o = base + (<usize>c << 2);
      store<i32>(cand_idx + o, c < n ? load<i32>(Sel.hi + o) : -1);
      store<f32>(cand_score + o, c < n ? load<f32>(Sel.hs + o) : NaN);
    }
  }
}

/** Offer every candidate of T parts' dumps (T blocks of H entries, selectDump's layout) to the selection. */
export function selectMerge(T: i32, cand_idx: usize, cand_score: usize): void {
  const Q = Sel.Q, meta = Sel.meta;
  // H: the heaps' total entries, the last query's base + capacity (= candidateEntries)
  const last = meta + (<usize>(Q - 1) << 4);
  const H = <usize>(load<i32>(last, 8) + load<i32>(last, 4));
  for (let t = 0; t < T; t++) {
    const ci = cand_idx + <usize>t * H * 4, cs = cand_score + <usize>t * H * 4;
    for (let q = 0; q < Q; q++) {
      const m = meta + (<usize>q << 4);
      const cap = load<i32>(m, 4);
      const base = <usize>load<i32>(m, 8) << 2;
      for (let c = 0; c < cap; c++) {
        const o = base + (<usize>c << 2);
        const id = load<i32>(ci + o);
        if (id >= 0) offer(q, id, load<f32>(cs + o));
      }
    }
  }
}

/** Bytes selectSave writes. */
export const SEL_CONTEXT_BYTES: i32 = 64;

/**
 * Save the call context (Sel) to ctx (SEL_CONTEXT_BYTES): a scan that keeps two selections at
 * once (the int8 scan: approximate bounds and exact re-ranked scores) switches between them
 * with selectSave / selectLoad.
 */
export function selectSave(ctx: usize): void {
  store<usize>(ctx, Sel.thr, 0); store<usize>(ctx, Sel.meta, 4); store<usize>(ctx, Sel.hs, 8);
  store<usize>(ctx, Sel.hi, 12); store<usize>(ctx, Sel.set, 16); store<i32>(ctx, Sel.S, 20);
  store<usize>(ctx, Sel.excl, 24); store<i32>(ctx, Sel.X, 28); store<i32>(ctx, Sel.Q, 32);
  store<i32>(ctx, Sel.G, 36); store<i32>(ctx, Sel.base, 40);
}

/** Restore a context saved by selectSave. */
export function selectLoad(ctx: usize): void {
  Sel.thr = load<usize>(ctx, 0); Sel.meta = load<usize>(ctx, 4); Sel.hs = load<usize>(ctx, 8);
  Sel.hi = load<usize>(ctx, 12); Sel.set = load<usize>(ctx, 16); Sel.S = load<i32>(ctx, 20);
  Sel.excl = load<usize>(ctx, 24); Sel.X = load<i32>(ctx, 28); Sel.Q = load<i32>(ctx, 32);
  Sel.G = load<i32>(ctx, 36); Sel.base = load<i32>(ctx, 40);
}
