// Dense (fully connected) layer, forward and backward, llm.c style.
//
// Dimensions: B batch rows, I input features, O output features.
// Layout: inp (B,I), w (I,O), bias (O), out (B,O), all row-major f32; pointers are byte
// addresses (4-byte aligned suffices). `act` is an activation code of elementwise.ts
// (0 identity, 1 relu, 2 tanh, 3 sigmoid). A null pointer (0) means "absent" where noted.
// `ws` is the gemm workspace (gemm_workspace_bytes() bytes).
//
// Backward ACCUMULATES into the parameter gradients dw and dbias (clear them with fill_f32
// before a batch), so several backward passes can share one optimiser step.
// A negative size or an unknown activation code traps (assembly/check.ts).

import { gemm_f32_nn, gemm_f32_nt, gemm_f32_tn } from "./gemm";
import { act_forward_f32, act_backward_f32, ACT_IDENTITY, ACT_RELU, ACT_TANH, ACT_SIGMOID } from "./elementwise";
import { add_into_f32, sigmoid_v128, sigmoid_f32s, tanh_v128, tanh_f32s } from "./mathx";
import { need, inside, disjoint, mat, f32s } from "./check";

// out(B,O) = act(inp(B,I) · w(I,O) + bias(O)); bias = 0 means no bias.
// out must not overlap inp or w.
export function dense_forward(B: i32, I: i32, O: i32, inp: usize, w: usize, bias: usize,
                              out: usize, act: i32, ws: usize): void {
  need(B >= 0 && I >= 0 && O >= 0, "dense_forward: negative size");
  need(act >= ACT_IDENTITY && act <= ACT_SIGMOID, "dense_forward: unknown activation code");
  if (B == 0 || O == 0) return;
  assert(inside(inp, mat(B, I, I)), "dense_forward: inp out of bounds");
  assert(inside(w, mat(I, O, O)), "dense_forward: w out of bounds");
  if (bias != 0) assert(inside(bias, f32s(O)), "dense_forward: bias out of bounds");
  assert(inside(out, mat(B, O, O)), "dense_forward: out out of bounds");
  assert(disjoint(out, mat(B, O, O), inp, mat(B, I, I)), "dense_forward: out overlaps inp");
  assert(disjoint(out, mat(B, O, O), w, mat(I, O, O)), "dense_forward: out overlaps w");
  gemm_f32_nn(B, O, I, inp, I, w, O, out, O, 0, ws);
  if (bias == 0) {
    act_forward_f32(B * O, out, out, act);
    return;
  }
  for (let b = 0; b < B; b++) bias_act_row(O, out + (<usize>(b * O) << 2), bias, act);
}

// row(O) = act(row(O) + bias(O)), in place: the fused epilogue of dense_forward.
function bias_act_row(O: i32, row: usize, bias: usize, act: i32): void {
  let j = 0;
  if (act == ACT_IDENTITY) {
    for (; j + 4 <= O; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (; j < O; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
  } else if (act == ACT_RELU) {
    const zero = f32x4.splat(0);
    for (; j + 4 <= O; j += 4) {
      const o = <usize>j << 2;
      const v = f32x4.add(v128.load(row + o), v128.load(bias + o));
      v128.store(row + o, v128.andnot(v, f32x4.lt(v, zero)));
    }
    for (; j < O; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(row + o) + load<f32>(bias + o);
      store<f32>(row + o, v < 0 ? <f32>0 : v);
    }
  } else if (act == ACT_TANH) {
    for (; j + 4 <= O; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, tanh_v128(f32x4.add(v128.load(row + o), v128.load(bias + o))));
    }
    for (; j < O; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, tanh_f32s(load<f32>(row + o) + load<f32>(bias + o)));
    }
  } else { // ACT_SIGMOID (checked by dense_forward)
    for (; j + 4 <= O; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, sigmoid_v128(f32x4.add(v128.load(row + o), v128.load(bias + o))));
    }
    for (; j < O; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, sigmoid_f32s(load<f32>(row + o) + load<f32>(bias + o)));
    }
  }
}

// Given out(B,O) from forward and dout(B,O):
//   dpre(B,O)  = dout ⊙ act'(out)              (dpre may equal dout: computed in place)
//   dw(I,O)   += inpᵀ(I,B) · dpre(B,O)         (skipped when dw = 0: inp is then not read)
//   dbias(O)  += Σ_b dpre(b,:)                 (skipped when dbias = 0)
//   dinp(B,I)  = dpre(B,O) · wᵀ(O,I)           (acc_dinp = 1: += instead; skipped when dinp = 0)
// dpre must not overlap inp, w, dw, dbias or dinp; dinp must not overlap anything else.
export function dense_backward(B: i32, I: i32, O: i32, inp: usize, w: usize, out: usize,
                               dout: usize, dpre: usize, dinp: usize, dw: usize, dbias: usize,
                               act: i32, acc_dinp: i32, ws: usize): void {
  need(B >= 0 && I >= 0 && O >= 0, "dense_backward: negative size");
  need(act >= ACT_IDENTITY && act <= ACT_SIGMOID, "dense_backward: unknown activation code");
  if (dinp != 0) assert(inside(dinp, mat(B, I, I)), "dense_backward: dinp out of bounds");
  if (B == 0 || O == 0) {
    // no terms: parameter gradients get nothing added, dinp(B,I) = 0 unless accumulating
    if (dinp != 0 && acc_dinp == 0 && B > 0 && I > 0) {
      for (let i = 0; i < B * I; i++) store<f32>(dinp + (<usize>i << 2), 0);
    }
    return;
  }
  assert(inside(out, mat(B, O, O)), "dense_backward: out out of bounds");
  assert(inside(dout, mat(B, O, O)), "dense_backward: dout out of bounds");
  assert(inside(dpre, mat(B, O, O)), "dense_backward: dpre out of bounds");
  if (I > 0 && dw != 0) {
    assert(inside(inp, mat(B, I, I)), "dense_backward: inp out of bounds");
    assert(inside(dw, mat(I, O, O)), "dense_backward: dw out of bounds");
    assert(disjoint(dpre, mat(B, O, O), dw, mat(I, O, O)), "dense_backward: dpre overlaps dw");
  }
  if (dbias != 0) assert(inside(dbias, f32s(O)), "dense_backward: dbias out of bounds");
  if (dinp != 0 && I > 0) {
    assert(inside(w, mat(I, O, O)), "dense_backward: w out of bounds");
    assert(disjoint(dinp, mat(B, I, I), dpre, mat(B, O, O)), "dense_backward: dinp overlaps dpre");
    assert(disjoint(dinp, mat(B, I, I), w, mat(I, O, O)), "dense_backward: dinp overlaps w");
  }
  act_backward_f32(B * O, out, dout, dpre, act);
  if (I > 0 && dw != 0) gemm_f32_tn(I, O, B, inp, I, dpre, O, dw, O, 1, ws);
  if (dbias != 0) {
    for (let b = 0; b < B; b++) add_into_f32(O, dbias, dpre + (<usize>(b * O) << 2));
  }
  if (dinp != 0 && I > 0) gemm_f32_nt(B, I, O, dpre, O, w, O, dinp, I, acc_dinp, ws);
}
