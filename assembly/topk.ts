// Top-k over an f32 catalog: the exported kernels (topk_f32, its split form topk_part_f32 and
// topk_merge_f32, and their workspace sizes). The scan lives in assembly/topk_scan.ts, the
// selection (heaps, exclusions, distinct groups) in assembly/topk_select.ts, and the int8
// catalog's scan in assembly/topk_i8.ts, which reuses both. See topk_scan.ts for the score
// order, the scan paths and the workspace layout.

import { selectBytes, selectBegin, selectFinish, selectDump, selectMerge, candidateEntries } from "./topk_select";
import { need, inside, disjoint } from "./check";
import { scanBytes, validShapes, checkCall, prepare, scanRows } from "./topk_scan";

/**
 * Workspace bytes topk_f32 needs for these shapes (a pure function of its arguments; exact in
 * f64). topk_f32 accepts at most 2^31 - 1 bytes. Traps on invalid shapes (G < 1, Q not a
 * multiple of G, Q < 0, k < 0, D < 1).
 */
export function topk_workspace_bytes(Q: i32, G: i32, k: i32, D: i32, distinct: i32): f64 {
  need(validShapes(Q, G, k, D), "topk_workspace_bytes: invalid shapes (need G >= 1 dividing Q >= 0, k >= 0, D >= 1)");
  return scanBytes(Q, D) + selectBytes(Q, G, k, distinct);
}

/**
 * Top-k scores of Q query vectors against a catalog, one pass.
 *
 *   out_idx (Q, k) i32, out_score (Q, k) f32  =  top-k over i of  E (N, D) · W (Q, D)ᵀ [+ qb (Q) ⊗ b (N)]
 *
 * E, W, excl, out_idx, out_score, ws, bias, qbias are byte addresses (E, W, bias and qbias 4-byte
 * aligned; ws 16-byte aligned, topk_workspace_bytes(Q, G, k, D, distinct) bytes, at most 2^31 - 1).
 * Queries come in G groups of Kg = Q/G consecutive vectors; excl (G, X) i32 lists per group the
 * track indices never to return (-1 = padding; duplicates and out-of-range values are harmless).
 * bias: the per-track bias b (N) f32, or 0 for none; qbias: the per-query weights qb (Q) f32
 * (read only when bias != 0), so score_q(i) = w_q · e_i + qb[q]·b[i]. Row q of the output holds
 * query q's best tracks, best first (score descending, ties by lower index); with distinct = 1 no
 * track appears twice within a group (query j skips what queries 0..j-1 of its group took).
 * Tracks with a NaN score are never returned; slots left without a valid track get index -1 and
 * score NaN. k = 0 or Q = 0 returns at once without reading anything. Traps on invalid shapes
 * (the host wrapper checks them first).
 */
export function topk_f32(E: usize, N: i32, D: i32, W: usize, Q: i32, G: i32, k: i32,
                         excl: usize, X: i32, distinct: i32,
                         out_idx: usize, out_score: usize, ws: usize, bias: usize, qbias: usize): void {
  need(N >= 0 && X >= 0 && validShapes(Q, G, k, D), "topk_f32: invalid shapes (need N, X, k >= 0, D >= 1, G >= 1 dividing Q >= 0)");
  if (k == 0 || Q == 0) return;
  checkCall(E, N, D, W, Q, G, k, excl, X, distinct, ws, bias, qbias);
  assert(inside(out_idx, <usize>Q * <usize>k * 4), "topk_f32: out_idx out of bounds");
  assert(inside(out_score, <usize>Q * <usize>k * 4), "topk_f32: out_score out of bounds");
  const wsBytes = <usize>topk_workspace_bytes(Q, G, k, D, distinct);
  assert(disjoint(out_idx, <usize>Q * <usize>k * 4, out_score, <usize>Q * <usize>k * 4), "topk_f32: out_idx overlaps out_score");
  assert(disjoint(ws, wsBytes, out_idx, <usize>Q * <usize>k * 4), "topk_f32: workspace overlaps out_idx");
  assert(disjoint(ws, wsBytes, out_score, <usize>Q * <usize>k * 4), "topk_f32: workspace overlaps out_score");
  prepare(D, W, Q, G, k, excl, X, distinct, ws, bias, qbias, 0);
  scanRows(E, N, bias);
  selectFinish(k, out_idx, out_score);
}

/**
 * Candidate entries per part of a split top-k (topk_part_f32 writes this many per part): Q·k, or
 * with distinct the Σ over groups of k·Kg·(Kg + 1)/2 the selection keeps. Exact in f64; traps on
 * invalid shapes as topk_workspace_bytes does.
 */
export function topk_candidates(Q: i32, G: i32, k: i32, distinct: i32): f64 {
  need(validShapes(Q, G, k, 1), "topk_candidates: invalid shapes (need G >= 1 dividing Q >= 0, k >= 0)");
  return candidateEntries(Q, G, k, distinct);
}

/**
 * One part of a top-k split by catalog rows (the worker-thread engine runs one part per thread, on
 * its own workspace, all at once): the same scan as topk_f32 over rows [r0, r1) of the catalog E
 * (N, D) only, with the same arguments otherwise (exclusions, bias and track indices are those of
 * the whole catalog). Instead of the outputs it writes the part's candidates: for each query q, the
 * heap the selection kept (its best k, or k·(j+1) with distinct), unsorted, at q's place in
 * cand_idx (H) i32 / cand_score (H) f32, H = topk_candidates(Q, G, k, distinct), unused slots -1
 * and NaN. topk_merge_f32 then gives exactly topk_f32's result over [0, N): the selection's order
 * (score descending, index ascending) is total, so the best of every part's best are the best.
 */
export function topk_part_f32(E: usize, N: i32, D: i32, W: usize, Q: i32, G: i32, k: i32,
                              excl: usize, X: i32, distinct: i32, r0: i32, r1: i32,
                              cand_idx: usize, cand_score: usize, ws: usize, bias: usize, qbias: usize): void {
  need(N >= 0 && X >= 0 && validShapes(Q, G, k, D), "topk_part_f32: invalid shapes (need N, X, k >= 0, D >= 1, G >= 1 dividing Q >= 0)");
  need(r0 >= 0 && r0 <= r1 && r1 <= N, "topk_part_f32: rows [r0, r1) not inside [0, N)");
  if (k == 0 || Q == 0) return;
  checkCall(E, N, D, W, Q, G, k, excl, X, distinct, ws, bias, qbias);
  const H = <usize>candidateEntries(Q, G, k, distinct);
  const wsBytes = <usize>topk_workspace_bytes(Q, G, k, D, distinct);
  assert(inside(cand_idx, H * 4), "topk_part_f32: cand_idx out of bounds");
  assert(inside(cand_score, H * 4), "topk_part_f32: cand_score out of bounds");
  assert(disjoint(cand_idx, H * 4, cand_score, H * 4), "topk_part_f32: cand_idx overlaps cand_score");
  assert(disjoint(ws, wsBytes, cand_idx, H * 4), "topk_part_f32: workspace overlaps cand_idx");
  assert(disjoint(ws, wsBytes, cand_score, H * 4), "topk_part_f32: workspace overlaps cand_score");
  prepare(D, W, Q, G, k, excl, X, distinct, ws, bias, qbias, r0);
  const row = <usize>D << 2;
  scanRows(E + <usize>r0 * row, r1 - r0, bias != 0 ? bias + (<usize>r0 << 2) : 0);
  selectDump(cand_idx, cand_score);
}

/**
 * The merge of T parts (topk_part_f32 over row ranges that together cover the catalog once):
 * offers every candidate of cand_idx / cand_score (T, H), H = topk_candidates(Q, G, k, distinct),
 * to a fresh selection, then sorts and resolves distinct groups as topk_f32 does and writes
 * out_idx / out_score (Q, k). ws: at least topk_workspace_bytes(Q, G, k, 1, distinct) bytes,
 * 16-byte aligned (a part's workspace serves). The parts applied the exclusions already.
 */
export function topk_merge_f32(Q: i32, G: i32, k: i32, distinct: i32, T: i32, cand_idx: usize, cand_score: usize,
                               out_idx: usize, out_score: usize, ws: usize): void {
  need(validShapes(Q, G, k, 1) && T >= 0, "topk_merge_f32: invalid shapes (need G >= 1 dividing Q >= 0, k >= 0, T >= 0)");
  if (k == 0 || Q == 0) return;
  const H = <usize>candidateEntries(Q, G, k, distinct);
  const selBytes = <usize>selectBytes(Q, G, k, distinct);
  need(<f64>H * <f64>T * 4 <= 2147483647, "topk_merge_f32: candidates above 2 GiB");
  assert(inside(cand_idx, H * <usize>T * 4), "topk_merge_f32: cand_idx out of bounds");
  assert(inside(cand_score, H * <usize>T * 4), "topk_merge_f32: cand_score out of bounds");
  assert(inside(out_idx, <usize>Q * <usize>k * 4), "topk_merge_f32: out_idx out of bounds");
  assert(inside(out_score, <usize>Q * <usize>k * 4), "topk_merge_f32: out_score out of bounds");
  assert(inside(ws, selBytes), "topk_merge_f32: workspace out of bounds");
  assert((ws & 15) == 0, "topk_merge_f32: workspace not 16-byte aligned");
  assert(disjoint(ws, selBytes, cand_idx, H * <usize>T * 4), "topk_merge_f32: workspace overlaps cand_idx");
  assert(disjoint(ws, selBytes, cand_score, H * <usize>T * 4), "topk_merge_f32: workspace overlaps cand_score");
  assert(disjoint(out_idx, <usize>Q * <usize>k * 4, out_score, <usize>Q * <usize>k * 4), "topk_merge_f32: out_idx overlaps out_score");
  selectBegin(ws, Q, G, k, 0, 0, distinct);
  selectMerge(T, cand_idx, cand_score);
  selectFinish(k, out_idx, out_score);
}

// Debug builds: every range topk_f32 and topk_part_f32 read, and the workspace (every build: its size).
