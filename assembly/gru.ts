// GRU layer, f32: forward over T steps for a batch, and backward through time.
//
// Formula: the `reset_after` GRU of PyTorch (torch.nn.GRU, https://pytorch.org/docs/stable/generated/torch.nn.GRU.html)
// and Keras (keras.layers.GRU(reset_after=True), the cuDNN form; Cho et al. 2014 with the reset
// gate applied after the hidden matmul):
//   z  = σ(x·Wz + bz + h·Uz + bz')
//   r  = σ(x·Wr + br + h·Ur + br')
//   n  = act(x·Wn + bn + r ⊙ (h·Un + bn'))
//   h' = (1 − z) ⊙ n + z ⊙ h
// `act` is the candidate activation: 2 tanh (the standard GRU) or 1 relu; the engine's
// activation codes are 0 identity, 1 relu, 2 tanh, 3 sigmoid, and only 1 and 2 are accepted.
//
// Dimensions: B batch, T steps, I input features, H hidden units, G = 3H fused gate columns.
// Parameters, gates fused column-wise in the order z | r | n:
//   wx (I, 3H) = [Wz | Wr | Wn]    wh (H, 3H) = [Uz | Ur | Un]    bx (3H)    bh (3H)
// Tensors are row-major, batch-major:
//   x (B, T, I)   h0 (B, H)   hs (B, T, H): every step's hidden state, h_T = hs[:, T−1, :]
//   saved (B, T, 4H): per (b, t) the row [z | r | n | hn], hn = h_{t−1}·Un + bn' (gru_activation_floats)
//
// Forward: one GEMM projects the input of all B·T steps at once, written into the first 3H
// columns of `saved`: XP (B·T, 3H) = x (B·T, I) · wx (biases are added in the gate pass); then
// per step one GEMM HP (B, 3H) = h_{t−1} (B, H) · wh, and a fused pointwise pass that reads
// XP and HP and overwrites that row of `saved` with z, r, n, hn and writes h_t into hs.
// h_{t−1} is read in place from hs (leading dimension T·H), no copies.
//
// Backward (BPTT), for dh_t = dhs[:, t, :] + (gradient carried from step t+1):
//   dz = dh ⊙ (h_{t−1} − n)          daz = dz ⊙ z(1 − z)
//   dn = dh ⊙ (1 − z)                dan = dn ⊙ act'(an)   (tanh: 1 − n², relu: [n > 0])
//   dhn = dan ⊙ r                    dar = dan ⊙ hn ⊙ r(1 − r)
//   dXP_t = [daz | dar | dan]        dHP_t = [daz | dar | dhn]
//   dh_{t−1} = dh ⊙ z + dHP_t · whᵀ
// then, batched over all steps: dwx += xᵀ·dXP (one GEMM over B·T rows), dx = dXP·wxᵀ (one GEMM),
// dwh += Σ_t h_{t−1}ᵀ·dHP_t (one GEMM over B·T rows, plus one over B rows for h0),
// dbx += Σ dXP, dbh += Σ dHP.
//
// Parameter gradients (dwx, dwh, dbx, dbh) ACCUMULATE (+=, zero them with zero_grad);
// input gradients (dx, dh0) are OVERWRITTEN, and skipped when their pointer is 0.
//
// Scratch comes from `ws`, gru_workspace_bytes(B, T, I, H) bytes, 16-byte aligned: the first
// gemm_workspace_bytes() bytes (rounded up to 16) are handed to the GEMMs, the rest holds
// the per-step hidden projection (forward) or the gate gradients of all steps (backward).
//
// Errors: a dimension < 1 or an `act` other than 1 or 2 traps before anything is read or written
// (the engine's one error convention, assembly/check.ts; src/nn/gru.ts checks both first).
//
// No output may alias an input or another output (hs, saved, ws, dx, dh0, dwx, ... distinct);
// backward reads x, wx, wh, h0, hs, saved, dhs and leaves them unchanged.
//
// Pointwise transcendental functions come from the vectorised mathx (sigmoid_v128/tanh_v128, and
// their bit-identical scalar twins for the tails).

import { gemm_f32_nn, gemm_f32_nt, gemm_f32_tn, gemm_workspace_bytes } from "./gemm";
import { sigmoid_f32s, sigmoid_v128, tanh_f32s, tanh_v128 } from "./mathx";
import { need, inside, disjoint, f32s } from "./check";
import { madd, madd1 } from "./simd";


const ACT_RELU: i32 = 1;
const ACT_TANH: i32 = 2;

// ---------------------------------------------------------------------------------------
// Sizes

/** Floats of the `saved` activation buffer: B·T·4H ([z | r | n | hn] per batch row and step), exact in f64. */
export function gru_activation_floats(B: i32, T: i32, H: i32): f64 {
  need(B >= 0 && T >= 0 && H >= 0, "gru_activation_floats: negative size");
  return <f64>B * <f64>T * 4 * <f64>H;
}

@inline function align16(n: usize): usize {
  return (n + 15) & ~(<usize>15);
}

// Workspace layout (byte offsets from ws):
//   [gemm workspace | zeros (3H) | forward: HP (B, 3H)
//                                | backward: dXP (B·T, 3H) | D (B·T, 3H) | dHP0 (B, 3H) | carry (B, H)]
@inline function wsZeros(): usize {
  return align16(<usize>gemm_workspace_bytes());
}
@inline function wsBody(H: i32): usize {
  return wsZeros() + align16(<usize>(3 * H) << 2);
}

@inline function align16f(n: f64): f64 {
  return Math.ceil(n / 16) * 16;
}

/**
 * Bytes of scratch gru_forward and gru_backward need for these dimensions (one workspace
 * serves both; I is accepted for future layouts and does not change the size today), exact in
 * f64 (the same layout as wsZeros/wsBody and the kernels' offsets, which fit usize whenever the
 * workspace fits memory).
 */
export function gru_workspace_bytes(B: i32, T: i32, I: i32, H: i32): f64 {
  need(B >= 0 && T >= 0 && I >= 0 && H >= 0, "gru_workspace_bytes: negative size");
  const G = 3 * <f64>H, Bf = <f64>B;
  const fwd = align16f(Bf * G * 4);
  const bwd = 2 * align16f(Bf * <f64>T * G * 4) + align16f(Bf * G * 4) + align16f(Bf * <f64>H * 4);
  return align16f(<f64>gemm_workspace_bytes()) + align16f(G * 4) + (fwd > bwd ? fwd : bwd);
}

// ---------------------------------------------------------------------------------------
// Pointwise helpers. Sigmoid and tanh are the engine's shared vectorised ones (assembly/mathx.ts:
// one exp each, safe for any |x|, scalar versions bit-identical to the SIMD lanes). The relu
// candidate is a compare-and-mask in both forms, as act_forward_f32's relu: NaN propagates and
// -0 stays -0 in a lane and in the scalar tail alike (f32x4.max would turn -0 into +0).

@inline function candidate1(x: f32, act: i32): f32 {
  return act == ACT_RELU ? (x < 0 ? <f32>0 : x) : tanh_f32s(x);
}

@inline function candidate4(v: v128, act: i32): v128 {
  return act == ACT_RELU ? v128.andnot(v, f32x4.lt(v, f32x4.splat(0))) : tanh_v128(v);
}

// ---------------------------------------------------------------------------------------
// Fused gate passes. Strides are in bytes; a stride of 0 repeats one row (the zero row).

// For each of B rows: xp row [XPz | XPr | XPn | ·] (in `saved`, overwritten by [z | r | n | hn]),
// hp row [HPz | HPr | HPn], hprev row (H), hout row (H) = h_t.
function gates_forward(B: i32, H: i32,
                       xp: usize, xpStride: usize,
                       hp: usize, hpStride: usize,
                       hprev: usize, hprevStride: usize,
                       bx: usize, bh: usize,
                       hout: usize, houtStride: usize, act: i32): void {
  const Hb = <usize>H << 2;
  const H4 = <usize>(H & ~3) << 2;
  for (let b = 0; b < B; b++) {
    let j: usize = 0;
    for (; j < H4; j += 16) {
      const xz = v128.load(xp + j), xr = v128.load(xp + Hb + j), xn = v128.load(xp + 2 * Hb + j);
      const az = f32x4.add(f32x4.add(xz, v128.load(bx + j)), f32x4.add(v128.load(hp + j), v128.load(bh + j)));
      const ar = f32x4.add(f32x4.add(xr, v128.load(bx + Hb + j)), f32x4.add(v128.load(hp + Hb + j), v128.load(bh + Hb + j)));
      const hn = f32x4.add(v128.load(hp + 2 * Hb + j), v128.load(bh + 2 * Hb + j));
      const z = sigmoid_v128(az);
      const r = sigmoid_v128(ar);
      const an = madd(r, hn, f32x4.add(xn, v128.load(bx + 2 * Hb + j)));
      const n = candidate4(an, act);
      const h = v128.load(hprev + j);
      // h' = (1 − z)·n + z·h = n + z·(h − n)
      v128.store(hout + j, madd(z, f32x4.sub(h, n), n));
      v128.store(xp + j, z);
      v128.store(xp + Hb + j, r);
      v128.store(xp + 2 * Hb + j, n);
      v128.store(xp + 3 * Hb + j, hn);
    }
    for (; j < Hb; j += 4) {
      // the same association as the v128 body (madd1 rounds as one lane of madd), so a unit gives
      // the same bits in a lane or here
      const az = (load<f32>(xp + j) + load<f32>(bx + j)) + (load<f32>(hp + j) + load<f32>(bh + j));
      const ar = (load<f32>(xp + Hb + j) + load<f32>(bx + Hb + j)) + (load<f32>(hp + Hb + j) + load<f32>(bh + Hb + j));
      const hn = load<f32>(hp + 2 * Hb + j) + load<f32>(bh + 2 * Hb + j);
      const z = sigmoid_f32s(az);
      const r = sigmoid_f32s(ar);
      const n = candidate1(madd1(r, hn, load<f32>(xp + 2 * Hb + j) + load<f32>(bx + 2 * Hb + j)), act);
      const h = load<f32>(hprev + j);
      store<f32>(hout + j, madd1(z, h - n, n));
      store<f32>(xp + j, z);
      store<f32>(xp + Hb + j, r);
      store<f32>(xp + 2 * Hb + j, n);
      store<f32>(xp + 3 * Hb + j, hn);
    }
    xp += xpStride;
    hp += hpStride;
    hprev += hprevStride;
    hout += houtStride;
  }
}

// For each of B rows: saved row [z | r | n | hn], hprev row (H), dhs row (H), carry-in row (H);
// writes dxp row [daz | dar | dan], dhp row [daz | dar | dhn], carry-out row dh ⊙ z (H).
// carry-in and carry-out may be the same memory (read before write, element by element).
function gates_backward(B: i32, H: i32,
                        sv: usize, svStride: usize,
                        hprev: usize, hprevStride: usize,
                        dhs: usize, dhsStride: usize,
                        cin: usize, cinStride: usize,
                        dxp: usize, dxpStride: usize,
                        dhp: usize, dhpStride: usize,
                        cout: usize, coutStride: usize, act: i32): void {
  const Hb = <usize>H << 2;
  const H4 = <usize>(H & ~3) << 2;
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    let j: usize = 0;
    for (; j < H4; j += 16) {
      const z = v128.load(sv + j), r = v128.load(sv + Hb + j), n = v128.load(sv + 2 * Hb + j), hn = v128.load(sv + 3 * Hb + j);
      const h = v128.load(hprev + j);
      const dh = f32x4.add(v128.load(cin + j), v128.load(dhs + j));
      const daz = f32x4.mul(f32x4.mul(dh, f32x4.sub(h, n)), f32x4.mul(z, f32x4.sub(one, z)));
      const dn = f32x4.mul(dh, f32x4.sub(one, z));
      const dan = act == ACT_RELU
        ? v128.and(dn, f32x4.gt(n, zero))
        : f32x4.mul(dn, f32x4.sub(one, f32x4.mul(n, n)));
      const dar = f32x4.mul(f32x4.mul(dan, hn), f32x4.mul(r, f32x4.sub(one, r)));
      const dhn = f32x4.mul(dan, r);
      v128.store(dxp + j, daz);
      v128.store(dxp + Hb + j, dar);
      v128.store(dxp + 2 * Hb + j, dan);
      v128.store(dhp + j, daz);
      v128.store(dhp + Hb + j, dar);
      v128.store(dhp + 2 * Hb + j, dhn);
      v128.store(cout + j, f32x4.mul(dh, z));
    }
    for (; j < Hb; j += 4) {
      const z = load<f32>(sv + j), r = load<f32>(sv + Hb + j), n = load<f32>(sv + 2 * Hb + j), hn = load<f32>(sv + 3 * Hb + j);
      const h = load<f32>(hprev + j);
      const dh = load<f32>(cin + j) + load<f32>(dhs + j);
      const daz = (dh * (h - n)) * (z * (1 - z));
      const dn = dh * (1 - z);
      const dan: f32 = act == ACT_RELU ? (n > 0 ? dn : 0) : dn * (1 - n * n);
      const dar = (dan * hn) * (r * (1 - r));
      const dhn = dan * r;
      store<f32>(dxp + j, daz);
      store<f32>(dxp + Hb + j, dar);
      store<f32>(dxp + 2 * Hb + j, dan);
      store<f32>(dhp + j, daz);
      store<f32>(dhp + Hb + j, dar);
      store<f32>(dhp + 2 * Hb + j, dhn);
      store<f32>(cout + j, dh * z);
    }
    sv += svStride;
    hprev += hprevStride;
    dhs += dhsStride;
    cin += cinStride;
    dxp += dxpStride;
    dhp += dhpStride;
    cout += coutStride;
  }
}

// dst (N) += Σ over R rows of src (R, N), rows `ld` floats apart.
function colsum_acc(R: i32, N: i32, src: usize, ld: i32, dst: usize): void {
  const Nb = <usize>N << 2;
  const N4 = <usize>(N & ~3) << 2;
  const ldb = <usize>ld << 2;
  for (let i = 0; i < R; i++) {
    let j: usize = 0;
    for (; j < N4; j += 16) v128.store(dst + j, f32x4.add(v128.load(dst + j), v128.load(src + j)));
    for (; j < Nb; j += 4) store<f32>(dst + j, load<f32>(dst + j) + load<f32>(src + j));
    src += ldb;
  }
}

// Every dimension ≥ 1 and act relu or tanh, else trap; debug builds also check every range.
@inline function checkArgs(B: i32, T: i32, I: i32, H: i32, act: i32, x: usize, wx: usize, wh: usize,
                           h0: usize, hs: usize, saved: usize, ws: usize): void {
  need(B >= 1 && T >= 1 && I >= 1 && H >= 1, "gru: a dimension (B, T, I, H) is < 1");
  need(act == ACT_RELU || act == ACT_TANH, "gru: act must be 1 (relu) or 2 (tanh)");
  assert(inside(x, f32s(B * T * I)), "gru: x out of bounds");
  assert(inside(wx, f32s(I * 3 * H)), "gru: wx out of bounds");
  assert(inside(wh, f32s(H * 3 * H)), "gru: wh out of bounds");
  if (h0 != 0) assert(inside(h0, f32s(B * H)), "gru: h0 out of bounds");
  assert(inside(hs, f32s(B * T * H)), "gru: hs out of bounds");
  assert(inside(saved, f32s(B * T * 4 * H)), "gru: saved out of bounds");
  assert(inside(ws, <usize>gru_workspace_bytes(B, T, I, H)), "gru: workspace out of bounds");
  assert(disjoint(hs, f32s(B * T * H), saved, f32s(B * T * 4 * H)), "gru: hs overlaps saved");
  assert(disjoint(ws, <usize>gru_workspace_bytes(B, T, I, H), saved, f32s(B * T * 4 * H)), "gru: workspace overlaps saved");
}

// ---------------------------------------------------------------------------------------
// Layer

/**
 * hs (B,T,H), saved (B,T,4H) = GRU over x (B,T,I) from h0 (B,H) with wx (I,3H), wh (H,3H),
 * bx (3H), bh (3H). h0 = 0 starts from zeros. act: 2 tanh, 1 relu. Scratch: ws of
 * gru_workspace_bytes(B,T,I,H) bytes.
 */
export function gru_forward(B: i32, T: i32, I: i32, H: i32,
                            x: usize, wx: usize, wh: usize, bx: usize, bh: usize,
                            h0: usize, hs: usize, saved: usize, act: i32, ws: usize): void {
  checkArgs(B, T, I, H, act, x, wx, wh, h0, hs, saved, ws);
  assert(inside(bx, f32s(3 * H)), "gru_forward: bx out of bounds");
  assert(inside(bh, f32s(3 * H)), "gru_forward: bh out of bounds");
  const G = 3 * H;
  const gws = ws;
  const zeros = ws + wsZeros();
  const hp = ws + wsBody(H);
  memory.fill(zeros, 0, <usize>G << 2);

  const svRow = <usize>(4 * H) << 2;            // bytes between (b, t) and (b, t+1) rows of saved
  const svStride = <usize>T * svRow;            // bytes between batch rows of one step
  const hsStride = <usize>T * (<usize>H << 2);  // same for hs

  // XP (B·T, 3H) = x (B·T, I) · wx, into columns [0, 3H) of saved (ld 4H).
  gemm_f32_nn(B * T, G, I, x, I, wx, G, saved, 4 * H, 0, gws);

  for (let t = 0; t < T; t++) {
    let hprev: usize, hprevStride: usize, hprevLd: i32;
    if (t > 0) {
      hprev = hs + <usize>(t - 1) * (<usize>H << 2);
      hprevStride = hsStride;
      hprevLd = T * H;
    } else if (h0 != 0) {
      hprev = h0;
      hprevStride = <usize>H << 2;
      hprevLd = H;
    } else {
      hprev = zeros;
      hprevStride = 0;
      hprevLd = 0;
    }
    let hpRow: usize = zeros, hpStride: usize = 0; // h_{t−1} = 0 ⇒ HP = 0
    if (hprevStride != 0) {
      // HP (B, 3H) = h_{t−1} (B, H) · wh (H, 3H)
      gemm_f32_nn(B, G, H, hprev, hprevLd, wh, G, hp, G, 0, gws);
      hpRow = hp;
      hpStride = <usize>G << 2;
    }
    gates_forward(B, H,
      saved + <usize>t * svRow, svStride,
      hpRow, hpStride,
      hprev, hprevStride,
      bx, bh,
      hs + <usize>t * (<usize>H << 2), hsStride, act);
  }
}

/**
 * Backward through time of gru_forward, given dhs (B,T,H) = ∂L/∂hs (every step; usually only
 * t = T−1 is non-zero). x, wx, wh, h0, hs, saved, act as passed to / produced by gru_forward
 * (read only). Accumulates dwx (I,3H), dwh (H,3H), dbx (3H), dbh (3H); overwrites
 * dx (B,T,I) and dh0 (B,H), each skipped when 0.
 */
export function gru_backward(B: i32, T: i32, I: i32, H: i32,
                             x: usize, wx: usize, wh: usize, h0: usize,
                             hs: usize, saved: usize, dhs: usize,
                             dx: usize, dwx: usize, dwh: usize, dbx: usize, dbh: usize, dh0: usize,
                             act: i32, ws: usize): void {
  checkArgs(B, T, I, H, act, x, wx, wh, h0, hs, saved, ws);
  assert(inside(dhs, f32s(B * T * H)), "gru_backward: dhs out of bounds");
  if (dx != 0) assert(inside(dx, f32s(B * T * I)), "gru_backward: dx out of bounds");
  assert(inside(dwx, f32s(I * 3 * H)), "gru_backward: dwx out of bounds");
  assert(inside(dwh, f32s(H * 3 * H)), "gru_backward: dwh out of bounds");
  assert(inside(dbx, f32s(3 * H)), "gru_backward: dbx out of bounds");
  assert(inside(dbh, f32s(3 * H)), "gru_backward: dbh out of bounds");
  if (dh0 != 0) assert(inside(dh0, f32s(B * H)), "gru_backward: dh0 out of bounds");
  const G = 3 * H;
  const gws = ws;
  const zeros = ws + wsZeros();
  const BTG = align16(<usize>B * <usize>T * <usize>G << 2);
  const dxpAll = ws + wsBody(H);                     // dXP (B·T, 3H)
  const dhpAll = dxpAll + BTG;                       // D (B·T, 3H): row (b, t) = dHP_{t+1}[b], row (b, T−1) = 0
  const dhp0 = dhpAll + BTG;                         // dHP_0 (B, 3H)
  const carry = dhp0 + align16(<usize>B * <usize>G << 2); // dh carried to the previous step (B, H)
  memory.fill(zeros, 0, <usize>G << 2);

  const Hb = <usize>H << 2, Gb = <usize>G << 2;
  const svRow = <usize>(4 * H) << 2, svStride = <usize>T * svRow;
  const hsStride = <usize>T * Hb;
  const gStride = <usize>T * Gb;                     // batch-row stride of dXP and D

  // Rows (b, T−1) of D pair with h_{T−1} in the batched dwh GEMM and must be zero.
  for (let b = 0; b < B; b++) memory.fill(dhpAll + (<usize>b * <usize>T + <usize>(T - 1)) * Gb, 0, Gb);

  for (let t = T - 1; t >= 0; t--) {
    let hprev: usize, hprevStride: usize;
    if (t > 0) { hprev = hs + <usize>(t - 1) * Hb; hprevStride = hsStride; }
    else if (h0 != 0) { hprev = h0; hprevStride = Hb; }
    else { hprev = zeros; hprevStride = 0; }
    const cin = t == T - 1 ? zeros : carry;
    const cinStride: usize = t == T - 1 ? 0 : Hb;
    const dhp = t > 0 ? dhpAll + <usize>(t - 1) * Gb : dhp0;
    const dhpLd = t > 0 ? T * G : G;
    const cout = t > 0 ? carry : (dh0 != 0 ? dh0 : carry);
    gates_backward(B, H,
      saved + <usize>t * svRow, svStride,
      hprev, hprevStride,
      dhs + <usize>t * Hb, hsStride,
      cin, cinStride,
      dxpAll + <usize>t * Gb, gStride,
      dhp, <usize>dhpLd << 2,
      cout, Hb, act);
    // dh_{t−1} (B, H) += dHP_t (B, 3H) · wh (H, 3H)ᵀ
    if (t > 0 || dh0 != 0) gemm_f32_nt(B, H, G, dhp, dhpLd, wh, G, cout, H, 1, gws);
  }

  // Weight and bias gradients, batched over all B·T rows.
  gemm_f32_tn(I, G, B * T, x, I, dxpAll, G, dwx, G, 1, gws);        // dwx (I,3H) += x (B·T,I)ᵀ · dXP
  if (dx != 0) gemm_f32_nt(B * T, I, G, dxpAll, G, wx, G, dx, I, 0, gws); // dx (B·T,I) = dXP · wxᵀ
  if (T > 1) gemm_f32_tn(H, G, B * T, hs, H, dhpAll, G, dwh, G, 1, gws);  // dwh += hs (B·T,H)ᵀ · D
  if (h0 != 0) gemm_f32_tn(H, G, B, h0, H, dhp0, G, dwh, G, 1, gws);      // dwh += h0ᵀ · dHP_0
  colsum_acc(B * T, G, dxpAll, G, dbx);
  colsum_acc(B * T, G, dhpAll, G, dbh);
  colsum_acc(B, G, dhp0, G, dbh);
}
