// Pointwise kernels: fill, copy, scale, bias broadcast, activations forward and backward.
//
// Dimensions: n elements; B rows (batch), O columns (features).
// Pointers are byte addresses of f32 arrays, 4-byte aligned; 16-byte alignment is not
// required (v128.load/store allow unaligned access). Every loop is a v128 body over
// groups of 4 plus a scalar tail, so any n ≥ 0 is handled; n = 0 does nothing. A negative size
// or an unknown activation code traps (the engine's one error convention, assembly/check.ts).
//
// Activation codes (exported as immutable i32 globals; the host mirrors them):
//   0 ACT_IDENTITY, 1 ACT_RELU, 2 ACT_TANH, 3 ACT_SIGMOID.
// Any other code traps (need(), assembly/check.ts): the host wrappers validate codes first.
//
// Backward passes are written through the activation's OUTPUT y (what forward keeps):
//   identity: 1;  relu: y > 0 (a select, so dx = 0 where y ≤ 0 even if dy is NaN/Inf);
//   tanh: 1 − y²;  sigmoid: y·(1 − y).

import { add_into_f32, exp_v128, exp_f32s, sigmoid_v128, sigmoid_f32s, tanh_v128, tanh_f32s } from "./mathx";
import { need, inside, disjoint, f32s } from "./check";

export const ACT_IDENTITY: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_TANH: i32 = 2;
export const ACT_SIGMOID: i32 = 3;

// x(n) = value
export function fill_f32(n: i32, x: usize, value: f32): void {
  need(n >= 0, "fill_f32: negative size");
  assert(inside(x, f32s(n)), "fill_f32: x out of bounds");
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), value);
}

// dst(n) = src(n); the two ranges must not overlap (unless dst == src, a no-op).
export function copy_f32(n: i32, src: usize, dst: usize): void {
  need(n >= 0, "copy_f32: negative size");
  assert(inside(src, f32s(n)), "copy_f32: src out of bounds");
  assert(inside(dst, f32s(n)), "copy_f32: dst out of bounds");
  if (src == dst) return;
  assert(disjoint(src, f32s(n), dst, f32s(n)), "copy_f32: src and dst overlap");
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, v128.load(src + o));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(src + o));
  }
}

// x(n) *= s
export function scale_f32(n: i32, x: usize, s: f32): void {
  need(n >= 0, "scale_f32: negative size");
  assert(inside(x, f32s(n)), "scale_f32: x out of bounds");
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), vs));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * s);
  }
}

// x(B,O) += bias(O), broadcast over the B rows
export function bias_add_f32(B: i32, O: i32, x: usize, bias: usize): void {
  need(B >= 0 && O >= 0, "bias_add_f32: negative size");
  assert(inside(x, f32s(B * O)), "bias_add_f32: x out of bounds");
  if (B > 0) assert(inside(bias, f32s(O)), "bias_add_f32: bias out of bounds");
  for (let b = 0; b < B; b++) add_into_f32(O, x + (<usize>(b * O) << 2), bias);
}

// y(n) = exp(x(n)); y may equal x. (mathx.ts accuracy; exposed for tests and softmax-like uses.)
export function exp_f32(n: i32, x: usize, y: usize): void {
  need(n >= 0, "exp_f32: negative size");
  assert(inside(x, f32s(n)), "exp_f32: x out of bounds");
  assert(inside(y, f32s(n)), "exp_f32: y out of bounds");
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, exp_v128(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, exp_f32s(load<f32>(x + o)));
  }
}

// y(n) = act(x(n)); y may equal x (in place).
export function act_forward_f32(n: i32, x: usize, y: usize, act: i32): void {
  need(n >= 0, "act_forward_f32: negative size");
  need(act >= ACT_IDENTITY && act <= ACT_SIGMOID, "act_forward_f32: unknown activation code (0 identity, 1 relu, 2 tanh, 3 sigmoid)");
  assert(inside(x, f32s(n)), "act_forward_f32: x out of bounds");
  assert(inside(y, f32s(n)), "act_forward_f32: y out of bounds");
  let i = 0;
  if (act == ACT_IDENTITY) {
    copy_f32(n, x, y);
  } else if (act == ACT_RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      // relu as a compare-and-mask, so NaN propagates (max would too, but pmax would not)
      const v = v128.load(x + o);
      v128.store(y + o, v128.andnot(v, f32x4.lt(v, zero)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(x + o);
      store<f32>(y + o, v < 0 ? <f32>0 : v);
    }
  } else if (act == ACT_TANH) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, tanh_v128(v128.load(x + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, tanh_f32s(load<f32>(x + o)));
    }
  } else { // ACT_SIGMOID (checked above)
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, sigmoid_v128(v128.load(x + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, sigmoid_f32s(load<f32>(x + o)));
    }
  }
}

// dx(n) = dy(n) ⊙ act'(x), with act' written through the forward output y(n); dx may equal dy.
export function act_backward_f32(n: i32, y: usize, dy: usize, dx: usize, act: i32): void {
  need(n >= 0, "act_backward_f32: negative size");
  need(act >= ACT_IDENTITY && act <= ACT_SIGMOID, "act_backward_f32: unknown activation code (0 identity, 1 relu, 2 tanh, 3 sigmoid)");
  assert(inside(y, f32s(n)), "act_backward_f32: y out of bounds");
  assert(inside(dy, f32s(n)), "act_backward_f32: dy out of bounds");
  assert(inside(dx, f32s(n)), "act_backward_f32: dx out of bounds");
  let i = 0;
  if (act == ACT_IDENTITY) {
    copy_f32(n, dy, dx);
  } else if (act == ACT_RELU) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : <f32>0);
    }
  } else if (act == ACT_TANH) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(v, v))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(y + o);
      store<f32>(dx + o, load<f32>(dy + o) * (<f32>1 - v * v));
    }
  } else { // ACT_SIGMOID (checked above)
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(y + o);
      v128.store(dx + o, f32x4.mul(v128.load(dy + o), f32x4.mul(v, f32x4.sub(one, v))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(y + o);
      store<f32>(dx + o, load<f32>(dy + o) * (v * (<f32>1 - v)));
    }
  }
}
