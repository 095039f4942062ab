// Row gathers and strided 2-D copies: how the host assembles network inputs inside wasm
// memory (state and action embeddings looked up by track index, concatenations of a state
// encoding with an action) without copying through JavaScript.
//
// Dimensions: R rows, C columns, D embedding width. Pointers are byte addresses; leading
// dimensions (strides between rows) are in elements. Indices are validated by the host.

import { need, inside, mat, f32s } from "./check";

// out (R, D) = E[idx[r], :] for r < R;   idx (R) i32, E (V, D) row-major
export function gather_rows_f32(R: i32, idx: usize, E: usize, D: i32, out: usize): void {
  need(R >= 0 && D >= 0, "gather_rows_f32: negative size");
  assert(inside(idx, f32s(R)), "gather_rows_f32: idx out of bounds");
  assert(inside(out, f32s(R * D)), "gather_rows_f32: out out of bounds");
  const rowBytes = <usize>D << 2;
  for (let r = 0; r < R; r++) {
    const i = load<i32>(idx + (<usize>r << 2));
    assert(i >= 0, "gather_rows_f32: negative row index");
    const src = E + <usize>i * rowBytes;
    assert(inside(src, rowBytes), "gather_rows_f32: E row out of bounds");
    copy_row(D, src, out + <usize>r * rowBytes);
  }
}

// dst (V, W)[idx[r], :] += src (R, W)[r, :] for r = 0..R-1 in order, so a row listed twice
// accumulates both (the backward of gather_rows_f32, and the gradient of a row-sparse table).
// idx (R) i32 rows in [0, V); src must not overlap dst.
export function scatter_add_rows_f32(R: i32, W: i32, idx: usize, src: usize, dst: usize): void {
  need(R >= 0 && W >= 0, "scatter_add_rows_f32: negative size");
  assert(inside(idx, f32s(R)), "scatter_add_rows_f32: idx out of bounds");
  assert(inside(src, f32s(R * W)), "scatter_add_rows_f32: src out of bounds");
  const rowBytes = <usize>W << 2;
  for (let r = 0; r < R; r++) {
    const i = load<i32>(idx + (<usize>r << 2));
    assert(i >= 0, "scatter_add_rows_f32: negative row index");
    const d = dst + <usize>i * rowBytes;
    assert(inside(d, rowBytes), "scatter_add_rows_f32: dst row out of bounds");
    add_row(W, src + <usize>r * rowBytes, d);
  }
}

// dst[r, 0:C] = src[r, 0:C] for r < R;   src (R, lds), dst (R, ldd)
export function copy_2d_f32(R: i32, C: i32, src: usize, lds: i32, dst: usize, ldd: i32): void {
  need(R >= 0 && C >= 0 && lds >= C && ldd >= C, "copy_2d_f32: negative size or leading dimension too short");
  assert(inside(src, mat(R, C, lds)), "copy_2d_f32: src out of bounds");
  assert(inside(dst, mat(R, C, ldd)), "copy_2d_f32: dst out of bounds");
  for (let r = 0; r < R; r++) {
    copy_row(C, src + (<usize>r * <usize>lds << 2), dst + (<usize>r * <usize>ldd << 2));
  }
}

// dst[0:n] += src[0:n], 4 lanes then a scalar tail (the same f32 add either way).
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

// dst[0:n] = src[0:n], 16 floats per iteration then a 4-wide loop and a scalar tail.
// Unaligned v128 loads/stores are legal in wasm and cost nothing extra on x86-64.
@inline
function copy_row(n: i32, src: usize, dst: usize): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(src + o), b = v128.load(src + o, 16), c = v128.load(src + o, 32), d = v128.load(src + o, 48);
    v128.store(dst + o, a);
    v128.store(dst + o, b, 16);
    v128.store(dst + o, c, 32);
    v128.store(dst + o, d, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}
