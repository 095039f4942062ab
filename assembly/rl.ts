// Small reinforcement-learning kernels of the DDPG update (Lillicrap et al. 2015,
// arXiv 1509.02971, Algorithm 1).
//
// Dimensions: B batch rows. A negative size traps (assembly/check.ts).

import { need, inside, f32s } from "./check";

// y (B) = r (B) + γ · (1 − done (B)) · q' (B)        — the critic's TD target
// done is f32 0/1 (1 at the end of an episode: no bootstrap from the next state).
export function td_target_f32(B: i32, r: usize, done: usize, qnext: usize, gamma: f32, y: usize): void {
  need(B >= 0, "td_target_f32: negative size");
  assert(inside(r, f32s(B)), "td_target_f32: r out of bounds");
  assert(inside(done, f32s(B)), "td_target_f32: done out of bounds");
  assert(inside(qnext, f32s(B)), "td_target_f32: qnext out of bounds");
  assert(inside(y, f32s(B)), "td_target_f32: y out of bounds");
  const g = f32x4.splat(gamma), one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= B; i += 4) {
    const o = <usize>i << 2;
    const notDone = f32x4.sub(one, v128.load(done + o));
    v128.store(y + o, f32x4.add(v128.load(r + o), f32x4.mul(g, f32x4.mul(notDone, v128.load(qnext + o)))));
  }
  for (; i < B; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(r + o) + gamma * ((1 - load<f32>(done + o)) * load<f32>(qnext + o)));
  }
}

// Σ x (n), accumulated in f64: the batch mean of Q for monitoring.
export function sum_f32(n: i32, x: usize): f64 {
  need(n >= 0, "sum_f32: negative size");
  assert(inside(x, f32s(n)), "sum_f32: x out of bounds");
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}
