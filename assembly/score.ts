// Candidate scoring of the item-wise critic: each state's weight row against its candidates'
// feature rows (a batched matrix–vector product), forward and backward.
//
// Dimensions: B states, P candidates per state, W features per candidate (the track's
// embedding, its bias, the candidate sources' features and a constant 1, so the per-state
// offset is one more weight). Pointers are byte addresses of f32 arrays.
//
// These run on B·P·W ≈ 64 × 60 × 40 multiply-adds per call, far below the networks' GEMMs, so
// they are plain scalar loops (any size, no alignment needed). A negative size traps
// (assembly/check.ts).

import { need, inside, f32s } from "./check";

// out (B, P) = u (B, W) · x (B, P, W)ᵀ per state:  out[b, p] = Σ_j u[b, j] · x[b, p, j]
export function rowdot_forward_f32(B: i32, P: i32, W: i32, u: usize, x: usize, out: usize): void {
  need(B >= 0 && P >= 0 && W >= 0, "rowdot_forward_f32: negative size");
  assert(inside(u, f32s(B * W)), "rowdot_forward_f32: u out of bounds");
  assert(inside(x, f32s(B * P * W)), "rowdot_forward_f32: x out of bounds");
  assert(inside(out, f32s(B * P)), "rowdot_forward_f32: out out of bounds");
  for (let b = 0; b < B; b++) {
    const ub = u + (<usize>(b * W) << 2);
    for (let p = 0; p < P; p++) {
      const xr = x + (<usize>((b * P + p) * W) << 2);
      let s: f32 = 0;
      for (let j = 0; j < W; j++) s += load<f32>(ub + (<usize>j << 2)) * load<f32>(xr + (<usize>j << 2));
      store<f32>(out + (<usize>(b * P + p) << 2), s);
    }
  }
}

// du (B, W) += Σ_p dout[b, p] · x[b, p, :]   (du = 0: skipped)
// dx (B, P, W) = dout[b, p] · u[b, :]          (written, not added; dx = 0: skipped)
export function rowdot_backward_f32(B: i32, P: i32, W: i32, u: usize, x: usize, dout: usize, du: usize, dx: usize): void {
  need(B >= 0 && P >= 0 && W >= 0, "rowdot_backward_f32: negative size");
  assert(inside(u, f32s(B * W)), "rowdot_backward_f32: u out of bounds");
  assert(inside(x, f32s(B * P * W)), "rowdot_backward_f32: x out of bounds");
  assert(inside(dout, f32s(B * P)), "rowdot_backward_f32: dout out of bounds");
  assert(du == 0 || inside(du, f32s(B * W)), "rowdot_backward_f32: du out of bounds");
  assert(dx == 0 || inside(dx, f32s(B * P * W)), "rowdot_backward_f32: dx out of bounds");
  for (let b = 0; b < B; b++) {
    const ub = u + (<usize>(b * W) << 2);
    for (let p = 0; p < P; p++) {
      const g = load<f32>(dout + (<usize>(b * P + p) << 2));
      const o = <usize>((b * P + p) * W) << 2;
      if (du != 0) {
        const db = du + (<usize>(b * W) << 2);
        for (let j = 0; j < W; j++) {
          const q = <usize>j << 2;
          store<f32>(db + q, load<f32>(db + q) + g * load<f32>(x + o + q));
        }
      }
      if (dx != 0) for (let j = 0; j < W; j++) store<f32>(dx + o + (<usize>j << 2), g * load<f32>(ub + (<usize>j << 2)));
    }
  }
}
