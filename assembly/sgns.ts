// Skip-gram with negative sampling (SGNS; Mikolov et al. 2013, "Distributed Representations of
// Words and Phrases and their Compositionality", eq. 4), used over listening sessions as
// item2vec (Barkan & Koenigstein 2016): one SGD step per (center, context) pair on
//
//   ℓ(c, o) = −log σ(u_o·v_c) − Σ_{n ∈ negatives} log σ(−u_n·v_c)
//
// with input vectors v (V, D) and output vectors u (V, D). The host (src/embed/item2vec.ts)
// builds the pairs and pre-draws the negatives from its seeded sampler; this kernel only does
// the arithmetic, SIMD over D, for a batch of P pairs.
//
// Dimensions: P pairs in the batch, K negatives per pair, V tracks, D embedding width (any D ≥ 1).
// Pointers are byte addresses; indices are validated by the host (0 ≤ index < V).
//
// Update order, exactly word2vec.c's skip-gram with negative sampling (single-threaded):
//   pairs are processed one after another, in batch order; pair p sees every update of pairs < p.
//   For one pair: neu1e = 0; for each target t in [o, n_1, …, n_K] (label 1 for o, 0 for the n_k):
//     a negative equal to the context o is skipped (word2vec's `if (target == word) continue`);
//     x = u_t·v_c;  g = lr·(label − σ(x));
//     neu1e += g·u_t      (u_t before its update)
//     u_t   += g·v_c      (v_c before the pair's update; a repeated negative sees its updated u)
//   then v_c += neu1e.
// So for one pair with distinct targets this is exactly θ ← θ − lr·∇ℓ(θ) (u and v are separate
// matrices, so c = o or c = n_k alias nothing). test/reference/sgns.ts reproduces it in f64.
//
// Sigmoid and loss are exact, not clamped or tabulated (word2vec's expTable quantises σ into
// 1000 steps and saturates it to 0 or 1 beyond |x| = 6, so its steps are not the gradient of
// any loss one can check): with e = exp(−|x|) ∈ (0, 1], which never
// overflows, σ(x) = 1/(1+e) for x ≥ 0 and e/(1+e) for x < 0, and the loss term
// softplus(s) = max(s, 0) + log1p(e) with s = −x for the positive and s = x for a negative
// (|s| = |x|, so the same e serves). To pay one log per pair rather than one per target, the
// log1p terms are summed as log Π(1 + e) in f64: each factor is in (1, 2], so the product of
// K + 1 factors is at most 2^(K+1) and cannot overflow f64 for K ≤ 1000 (the host's limit).

import { need, inside, f32s } from "./check";
import { madd } from "./simd";

// Bytes of workspace sgns_step_f32 needs for width D: the neu1e accumulator, 16-byte padded.
export function sgns_workspace_bytes(D: i32): i32 {
  need(D >= 1, "sgns_workspace_bytes: D < 1");
  return ((D + 3) & ~3) << 2;
}

// One SGD pass over a batch of pairs; returns the batch's mean loss ℓ per pair (each pair's loss
// measured with the parameters just before its own step), or 0 when P = 0.
//   centers (P) i32, contexts (P) i32, negs (P, K) i32 — track indices in [0, V)
//   V_in (V, D) f32 input vectors v, updated in place
//   U_out (V, D) f32 output vectors u, updated in place
//   lr: learning rate of this batch;  ws: sgns_workspace_bytes(D) bytes, 16-byte aligned
export function sgns_step_f32(P: i32, centers: usize, contexts: usize, negs: usize, K: i32,
                              V_in: usize, U_out: usize, D: i32, lr: f32, ws: usize): f64 {
  need(P >= 0 && K >= 0 && D >= 1, "sgns_step_f32: need P, K >= 0 and D >= 1");
  assert(inside(centers, f32s(P)), "sgns_step_f32: centers out of bounds");
  assert(inside(contexts, f32s(P)), "sgns_step_f32: contexts out of bounds");
  assert(inside(negs, f32s(P * K)), "sgns_step_f32: negs out of bounds");
  assert(inside(ws, <usize>sgns_workspace_bytes(D)), "sgns_step_f32: workspace out of bounds");
  const rowBytes = <usize>D << 2;
  const lastLane = rowBytes - 4;
  let total: f64 = 0;
  let sink: f32 = 0;
  for (let p = 0; p < P; p++) {
    // Touch the first and last float of every row pair p + AHEAD will use. At catalogue sizes
    // the rows are cache misses (35k tracks · 2 matrices · d=32 = 9 MB) and the sequential
    // update order leaves little else to overlap them with; wasm has no prefetch instruction,
    // so these loads are the prefetch (their sum is kept alive through `sink`).
    const q = p + AHEAD;
    if (q < P) {
      const vq = V_in + <usize>load<i32>(centers + (<usize>q << 2)) * rowBytes;
      const uq = U_out + <usize>load<i32>(contexts + (<usize>q << 2)) * rowBytes;
      sink += load<f32>(vq) + load<f32>(vq + lastLane) + load<f32>(uq) + load<f32>(uq + lastLane);
      const nq = negs + (<usize>q * <usize>K << 2);
      for (let k = 0; k < K; k++) {
        const un = U_out + <usize>load<i32>(nq + (<usize>k << 2)) * rowBytes;
        sink += load<f32>(un) + load<f32>(un + lastLane);
      }
    }
    const c = load<i32>(centers + (<usize>p << 2));
    const o = load<i32>(contexts + (<usize>p << 2));
    const vc = V_in + <usize>c * rowBytes;
    assert(c >= 0 && o >= 0, "sgns_step_f32: negative track index");
    assert(inside(vc, rowBytes), "sgns_step_f32: center row out of bounds");
    zero_row(D, ws);
    let lin: f64 = 0;   // Σ max(s, 0)
    let prod: f64 = 1;  // Π (1 + e)
    const negRow = negs + (<usize>p * <usize>K << 2);
    for (let k = -1; k < K; k++) {
      let t = o;
      let label: f32 = 1;
      if (k >= 0) {
        t = load<i32>(negRow + (<usize>k << 2));
        if (t == o) continue;
        label = 0;
      }
      const ut = U_out + <usize>t * rowBytes;
      assert(t >= 0, "sgns_step_f32: negative track index");
      assert(inside(ut, rowBytes), "sgns_step_f32: output row out of bounds");
      const x = dot(D, vc, ut);
      const e = Mathf.exp(-Mathf.abs(x));
      const sig: f32 = x >= 0 ? <f32>1 / (<f32>1 + e) : e / (<f32>1 + e);
      const g = lr * (label - sig);
      const s = label > 0 ? -x : x;
      if (s > 0) lin += <f64>s;
      prod *= <f64>1 + <f64>e;
      axpy_pair(D, g, ut, vc, ws);
    }
    add_row(D, ws, vc);
    total += lin + Math.log(prod);
  }
  if (sink == SINK_NEVER) total = NaN; // never true for finite data; stops the touches being removed
  return P > 0 ? total / <f64>P : 0;
}

// Pairs of look-ahead for the row touches (2 measured best of 0, 2, 3, 4 at 35k tracks, d = 32).
const AHEAD = 2;
const SINK_NEVER: f32 = 1.2345e30;

// Σ a[i]·b[i]: four v128 accumulators over 16 floats, then 4-wide, then a scalar tail.
@inline
function dot(n: i32, a: usize, b: usize): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    s0 = madd(v128.load(a + o), v128.load(b + o), s0);
    s1 = madd(v128.load(a + o, 16), v128.load(b + o, 16), s1);
    s2 = madd(v128.load(a + o, 32), v128.load(b + o, 32), s2);
    s3 = madd(v128.load(a + o, 48), v128.load(b + o, 48), s3);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    s0 = madd(v128.load(a + o), v128.load(b + o), s0);
  }
  const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; i < n; i++) r += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return r;
}

// The fused inner update of one target: acc += g·u (old u), then u += g·v. One pass over the row.
@inline
function axpy_pair(n: i32, g: f32, u: usize, v: usize, acc: usize): void {
  const gv = f32x4.splat(g);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const uo = v128.load(u + o);
    v128.store(acc + o, madd(gv, uo, v128.load(acc + o)));
    v128.store(u + o, madd(gv, v128.load(v + o), uo));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const uo = load<f32>(u + o);
    store<f32>(acc + o, load<f32>(acc + o) + g * uo);
    store<f32>(u + o, uo + g * load<f32>(v + o));
  }
}

// dst += src over n floats.
@inline
function add_row(n: i32, src: usize, dst: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

// ws[0:n] = 0, whole v128 words (the workspace is padded to a multiple of 4 floats).
@inline
function zero_row(n: i32, ws: usize): void {
  const z = f32x4.splat(0);
  for (let i = 0; i < n; i += 4) v128.store(ws + (<usize>i << 2), z);
}
