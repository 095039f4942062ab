// Row-wise kernels of the list-wise DDPG networks: mean pooling of a history of embeddings,
// L2 normalisation of weight vectors (forward and backward), and the element-wise
// state–action interaction of the critic (forward and backward).
//
// Dimensions: B rows (batch), N history steps, K slots, D embedding width, R rows to
// normalise. Pointers are byte addresses of f32 arrays; leading dimensions in elements.
// These run on a few thousand floats per DDPG update (B·K·D), far below the gemm's cost,
// so they are plain scalar loops (any size, no alignment needed). A negative size traps
// (assembly/check.ts).

import { need, inside, mat, f32s } from "./check";

// out (B, D) = (1/N) Σ_n x (B, N, D)[:, n, :]
export function mean_pool_f32(B: i32, N: i32, D: i32, x: usize, out: usize): void {
  need(B >= 0 && N >= 1 && D >= 0, "mean_pool_f32: need B, D >= 0 and N >= 1");
  assert(inside(x, f32s(B * N * D)), "mean_pool_f32: x out of bounds");
  assert(inside(out, f32s(B * D)), "mean_pool_f32: out out of bounds");
  const inv: f32 = 1 / <f32>N;
  for (let b = 0; b < B; b++) {
    const xb = x + (<usize>(b * N * D) << 2), ob = out + (<usize>(b * D) << 2);
    for (let j = 0; j < D; j++) {
      let s: f32 = 0;
      for (let n = 0; n < N; n++) s += load<f32>(xb + (<usize>(n * D + j) << 2));
      store<f32>(ob + (<usize>j << 2), s * inv);
    }
  }
}

// norm (R) = ‖x_r‖;  y (R, D) = radius · x_r / ‖x_r‖   (a zero row gives a zero row)
export function l2norm_forward(R: i32, D: i32, x: usize, y: usize, norm: usize, radius: f32): void {
  need(R >= 0 && D >= 0, "l2norm_forward: negative size");
  assert(inside(x, f32s(R * D)), "l2norm_forward: x out of bounds");
  assert(inside(y, f32s(R * D)), "l2norm_forward: y out of bounds");
  assert(inside(norm, f32s(R)), "l2norm_forward: norm out of bounds");
  for (let r = 0; r < R; r++) {
    const xr = x + (<usize>(r * D) << 2), yr = y + (<usize>(r * D) << 2);
    let ss: f32 = 0;
    for (let j = 0; j < D; j++) {
      const v = load<f32>(xr + (<usize>j << 2));
      ss += v * v;
    }
    const n = Mathf.sqrt(ss);
    store<f32>(norm + (<usize>r << 2), n);
    const s: f32 = n > 0 ? radius / n : 0;
    for (let j = 0; j < D; j++) store<f32>(yr + (<usize>j << 2), load<f32>(xr + (<usize>j << 2)) * s);
  }
}

// dx (R, D) = (radius / ‖x_r‖) · (dy_r − u_r (u_r · dy_r)),  u_r = y_r / radius   (from forward's y and norm)
// The Jacobian of x ↦ radius·x/‖x‖ is (radius/‖x‖)(I − u uᵀ): only the part of dy tangent to the
// sphere reaches x. dx may alias dy (each row reads dy fully before writing). A zero row gets dx = 0.
export function l2norm_backward(R: i32, D: i32, y: usize, norm: usize, dy: usize, dx: usize, radius: f32): void {
  need(R >= 0 && D >= 0, "l2norm_backward: negative size");
  assert(inside(y, f32s(R * D)), "l2norm_backward: y out of bounds");
  assert(inside(norm, f32s(R)), "l2norm_backward: norm out of bounds");
  assert(inside(dy, f32s(R * D)), "l2norm_backward: dy out of bounds");
  assert(inside(dx, f32s(R * D)), "l2norm_backward: dx out of bounds");
  const invRadius: f32 = 1 / radius;
  for (let r = 0; r < R; r++) {
    const o = <usize>(r * D) << 2;
    const n = load<f32>(norm + (<usize>r << 2));
    let udy: f32 = 0;
    for (let j = 0; j < D; j++) udy += load<f32>(y + o + (<usize>j << 2)) * invRadius * load<f32>(dy + o + (<usize>j << 2));
    const s: f32 = n > 0 ? radius / n : 0;
    for (let j = 0; j < D; j++) {
      const p = <usize>j << 2;
      const u = load<f32>(y + o + p) * invRadius;
      store<f32>(dx + o + p, s * (load<f32>(dy + o + p) - u * udy));
    }
  }
}

// out[b, k·D + j] = m[b, j] · a[b, k·D + j]   for k < K, j < D;   m (B, D), a (B, K·D), out (B, ldo)
export function interact_forward(B: i32, K: i32, D: i32, m: usize, a: usize, out: usize, ldo: i32): void {
  need(B >= 0 && K >= 0 && D >= 0 && ldo >= K * D, "interact_forward: negative size or ldo < K·D");
  assert(inside(m, f32s(B * D)), "interact_forward: m out of bounds");
  assert(inside(a, f32s(B * K * D)), "interact_forward: a out of bounds");
  assert(inside(out, mat(B, K * D, ldo)), "interact_forward: out out of bounds");
  const A = K * D;
  for (let b = 0; b < B; b++) {
    const mb = m + (<usize>(b * D) << 2), ab = a + (<usize>(b * A) << 2), ob = out + (<usize>(b * ldo) << 2);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < D; j++) {
        const p = <usize>(k * D + j) << 2;
        store<f32>(ob + p, load<f32>(mb + (<usize>j << 2)) * load<f32>(ab + p));
      }
    }
  }
}

// da[b, k·D + j] += m[b, j] · dout[b, k·D + j];   m (B, D), dout (B, ldd), da (B, K·D)   (accumulates)
export function interact_backward(B: i32, K: i32, D: i32, m: usize, dout: usize, ldd: i32, da: usize): void {
  need(B >= 0 && K >= 0 && D >= 0 && ldd >= K * D, "interact_backward: negative size or ldd < K·D");
  assert(inside(m, f32s(B * D)), "interact_backward: m out of bounds");
  assert(inside(dout, mat(B, K * D, ldd)), "interact_backward: dout out of bounds");
  assert(inside(da, f32s(B * K * D)), "interact_backward: da out of bounds");
  const A = K * D;
  for (let b = 0; b < B; b++) {
    const mb = m + (<usize>(b * D) << 2), db = dout + (<usize>(b * ldd) << 2), ab = da + (<usize>(b * A) << 2);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < D; j++) {
        const p = <usize>(k * D + j) << 2;
        store<f32>(ab + p, load<f32>(ab + p) + load<f32>(mb + (<usize>j << 2)) * load<f32>(db + p));
      }
    }
  }
}
