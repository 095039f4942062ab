// Row gathers and strided 2-D copies: how the host assembles network inputs inside wasm
// memory (state and action embeddings looked up by track index, concatenations of a state
// encoding with an action) without copying through JavaScript.
//
// Dimensions: R rows, C columns, D embedding width. Pointers are byte addresses; leading
// dimensions (strides between rows) are in elements. Indices are validated by the host.

// out (R, D) = E[idx[r], :] for r < R;   idx (R) i32, E (V, D) row-major
export function gather_rows_f32(R: i32, idx: usize, E: usize, D: i32, out: usize): void {
  const rowBytes = <usize>D << 2;
  for (let r = 0; r < R; r++) {
    const src = E + <usize>load<i32>(idx + (<usize>r << 2)) * rowBytes;
    copy_row(D, src, out + <usize>r * rowBytes);
  }
}

// dst[r, 0:C] = src[r, 0:C] for r < R;   src (R, lds), dst (R, ldd)
export function copy_2d_f32(R: i32, C: i32, src: usize, lds: i32, dst: usize, ldd: i32): void {
  for (let r = 0; r < R; r++) {
    copy_row(C, src + (<usize>r * <usize>lds << 2), dst + (<usize>r * <usize>ldd << 2));
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
