import { describe, it, expect } from "vitest";
import { Rng } from "../src/rng.js";
import { ReplayBuffer, REPLAY_DEFAULT_CAPACITY, type ReplayBatch } from "../src/rl/replay.js";
import { LirdSimulator } from "../src/rl/lird.js";

const N = 4, K = 3;

/** Transition number t, with every field derived from t so a row identifies itself. */
function transition(t: number) {
  return {
    state: Array.from({ length: N }, (_, n) => t * 10 + n),
    kept: Array.from({ length: N }, (_, n) => (t + n) % 3 === 0 ? 0 : 1),
    action: Array.from({ length: K }, (_, k) => t * 100 + k),
    rewards: Array.from({ length: K }, (_, k) => (t + k) % 2),
    reward: t * 0.5,
    next: Array.from({ length: N }, (_, n) => t * 10 + n + 1),
    nextKept: Array.from({ length: N }, (_, n) => (t + n) % 2),
    done: t % 7 === 0,
  };
}

function push(buf: ReplayBuffer, t: number): void {
  const x = transition(t);
  buf.push({ tracks: Int32Array.from(x.state), kept: Uint8Array.from(x.kept) }, x.action, x.rewards, x.reward, { tracks: Int32Array.from(x.next), kept: Uint8Array.from(x.nextKept) }, x.done);
}

/** The transition number stored in a row, checking that every column agrees. */
function rowId(buf: ReplayBuffer, i: number): number {
  const t = buf.reward[i] / 0.5;
  const x = transition(t);
  expect(Array.from(buf.states.subarray(i * N, (i + 1) * N))).toEqual(x.state);
  expect(Array.from(buf.kept.subarray(i * N, (i + 1) * N))).toEqual(x.kept);
  expect(Array.from(buf.nextKept.subarray(i * N, (i + 1) * N))).toEqual(x.nextKept);
  expect(Array.from(buf.actions.subarray(i * K, (i + 1) * K))).toEqual(x.action);
  expect(Array.from(buf.rewards.subarray(i * K, (i + 1) * K))).toEqual(x.rewards);
  expect(Array.from(buf.nexts.subarray(i * N, (i + 1) * N))).toEqual(x.next);
  expect(buf.dones[i]).toBe(x.done ? 1 : 0);
  return t;
}

function checkBatch(batch: ReplayBatch, buf: ReplayBuffer): void {
  for (let b = 0; b < batch.B; b++) {
    const i = batch.indices[b];
    expect(i >= 0 && i < buf.size).toBe(true);
    const x = transition(rowId(buf, i));
    expect(Array.from(batch.states.subarray(b * N, (b + 1) * N))).toEqual(x.state);
    expect(Array.from(batch.kept.subarray(b * N, (b + 1) * N))).toEqual(x.kept);
    expect(Array.from(batch.nextKept.subarray(b * N, (b + 1) * N))).toEqual(x.nextKept);
    expect(Array.from(batch.actions.subarray(b * K, (b + 1) * K))).toEqual(x.action);
    expect(Array.from(batch.rewards.subarray(b * K, (b + 1) * K))).toEqual(x.rewards);
    expect(batch.reward[b]).toBe(x.reward);
    expect(Array.from(batch.nexts.subarray(b * N, (b + 1) * N))).toEqual(x.next);
    expect(batch.dones[b]).toBe(x.done ? 1 : 0);
  }
}

describe("ReplayBuffer", () => {
  it("defaults to 10,000 transitions stored as indices", () => {
    const buf = new ReplayBuffer(10, 3);
    expect(buf.capacity).toBe(REPLAY_DEFAULT_CAPACITY);
    expect(REPLAY_DEFAULT_CAPACITY).toBe(10_000);
    expect(buf.states).toBeInstanceOf(Int32Array);
    expect(buf.states.length).toBe(10_000 * 10);
    expect(buf.rewards.length).toBe(10_000 * 3);
  });

  it("tracks size, head and full, and overwrites the oldest transition once full", () => {
    const buf = new ReplayBuffer(N, K, 5);
    expect(buf.size).toBe(0);
    expect(buf.full).toBe(false);
    for (let t = 1; t <= 5; t++) {
      push(buf, t);
      expect(buf.size).toBe(t);
      expect(buf.head).toBe(t % 5);
    }
    expect(buf.full).toBe(true);
    for (let t = 6; t <= 12; t++) push(buf, t);
    expect(buf.size).toBe(5);
    expect(buf.head).toBe(12 % 5);
    // The five most recent transitions 8..12 remain, in ring order.
    expect([0, 1, 2, 3, 4].map((i) => rowId(buf, i)).sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12]);
    // Transition t (counting from 1) went to row (t − 1) mod 5.
    expect([0, 1, 2, 3, 4].map((i) => rowId(buf, i))).toEqual([11, 12, 8, 9, 10]);
    buf.clear();
    expect(buf.size).toBe(0);
    expect(buf.head).toBe(0);
  });

  it("samples only stored rows, whole and consistent, into a reused batch", () => {
    const buf = new ReplayBuffer(N, K, 50);
    for (let t = 1; t <= 20; t++) push(buf, t);
    const rng = new Rng(1);
    const a = buf.sample(rng, 32);
    checkBatch(a, buf);
    const b = buf.sample(rng, 32);
    expect(b).toBe(a);
    expect(b.states).toBe(a.states);
    const own = buf.createBatch(7);
    expect(buf.sampleInto(rng, own)).toBe(own);
    checkBatch(own, buf);
  });

  it("samples uniformly with replacement and deterministically under a seed", () => {
    const C = 8;
    const buf = new ReplayBuffer(N, K, C);
    for (let t = 1; t <= 13; t++) push(buf, t);
    const rng = new Rng(2), draws = 40_000, B = 100;
    const counts = new Array(C).fill(0);
    for (let i = 0; i < draws / B; i++) for (const j of buf.sample(rng, B).indices) counts[j]++;
    // Each count is Binomial(draws, 1/C): sd = sqrt(draws·(1/C)·(1 − 1/C)) ≈ 66; allow 5 sd.
    const sd = Math.sqrt(draws * (1 / C) * (1 - 1 / C));
    for (const c of counts) expect(Math.abs(c - draws / C)).toBeLessThan(5 * sd);
    const x = Array.from(buf.sample(new Rng(9), 16).indices);
    const y = Array.from(buf.sample(new Rng(9), 16).indices);
    expect(x).toEqual(y);
  });

  it("rejects an empty buffer, bad shapes and bad sizes with clear errors", () => {
    const buf = new ReplayBuffer(N, K, 4);
    expect(() => buf.sample(new Rng(0), 2)).toThrow(/buffer is empty/);
    const s = (a: number[]) => ({ tracks: Int32Array.from(a), kept: new Uint8Array(a.length).fill(1) });
    expect(() => buf.push(s([1, 2]), [1, 2, 3], [0, 0, 0], 0, s([1, 2, 3, 4]), false)).toThrow(/N = 4 tracks and flags, got 2\/2 and 4\/4/);
    expect(() => buf.push(s([1, 2, 3, 4]), [1, 2, 3], [0, 0, 0], 0, { tracks: Int32Array.from([1, 2, 3, 4]), kept: new Uint8Array(3) }, false)).toThrow(/got 4\/4 and 4\/3/);
    expect(() => buf.push(s([1, 2, 3, 4]), [1, 2], [0, 0, 0], 0, s([1, 2, 3, 4]), false)).toThrow(/K = 3 entries, got 2 and 3/);
    expect(() => new ReplayBuffer(N, K, 0)).toThrow(/capacity must be a positive integer/);
    push(buf, 1);
    expect(() => buf.sampleInto(new Rng(0), new ReplayBuffer(N + 1, K, 4).createBatch(2))).toThrow(/batch arrays do not match/);
  });

  it("round-trips its state, wrapped or not, and then samples the same sequence", () => {
    for (const pushes of [3, 17]) {
      const buf = new ReplayBuffer(N, K, 6);
      for (let t = 1; t <= pushes; t++) push(buf, t);
      const st = buf.getState();
      expect(st.size).toBe(Math.min(pushes, 6));
      // Copy the columns, as writing a checkpoint does.
      const saved = { ...st, states: st.states.slice(), actions: st.actions.slice(), rewards: st.rewards.slice(), reward: st.reward.slice(), nexts: st.nexts.slice(), dones: st.dones.slice() };
      const back = new ReplayBuffer(N, K, 6);
      back.setState(saved);
      expect(back.size).toBe(buf.size);
      expect(back.head).toBe(buf.head);
      expect(back.full).toBe(buf.full);
      const r1 = new Rng(5), r2 = new Rng(5);
      for (let i = 0; i < 3; i++) {
        const a = buf.sample(r1, 8), b = back.sample(r2, 8);
        expect(Array.from(b.indices)).toEqual(Array.from(a.indices));
        expect(Array.from(b.states)).toEqual(Array.from(a.states));
        expect(Array.from(b.reward)).toEqual(Array.from(a.reward));
      }
      // Both continue identically.
      push(buf, 99); push(back, 99);
      expect(back.head).toBe(buf.head);
      expect(Array.from(back.getState().reward)).toEqual(Array.from(buf.getState().reward));
    }
  });

  it("refuses a state from a differently shaped buffer or with an inconsistent head", () => {
    const buf = new ReplayBuffer(N, K, 6);
    push(buf, 1);
    const st = buf.getState();
    expect(() => new ReplayBuffer(N, K, 7).setState(st)).toThrow(/capacity = 6; this one has .* capacity = 7/);
    expect(() => new ReplayBuffer(N, K, 6).setState({ ...st, head: 3 })).toThrow(/head 3 is inconsistent with size 1/);
    expect(() => new ReplayBuffer(N, K, 6).setState({ ...st, dones: new Uint8Array(2) })).toThrow(/column dones has 2 entries, expected 1/);
  });

  it("records environment steps: the state a step started from and its next state", () => {
    const S = 20, V = 30, d = 4, NL = 5, KL = 2;
    const rng = new Rng(8);
    const E = Float32Array.from({ length: V * d }, () => rng.normal());
    const states = Int32Array.from({ length: S * NL }, () => rng.int(V));
    const actions = Int32Array.from({ length: S * KL }, () => rng.int(V));
    const rewards = Uint8Array.from({ length: S * KL }, () => rng.int(2));
    const env = new LirdSimulator({ N: NL, K: KL, states, actions, rewards }, { V, d, E }, { episodeLength: 4 });
    const buf = new ReplayBuffer(NL, KL, 100);
    const expected: { s: number[]; kept: number[]; next: number[]; nextKept: number[]; reward: number; done: boolean }[] = [];
    for (let ep = 0; ep < 3; ep++) {
      let s = env.reset(rng);
      for (let done = false; !done;) {
        const list = new Int32Array(KL);
        for (let k = 0; k < KL; k++) {
          let t: number;
          do t = rng.int(V); while (s.tracks.includes(t) || list.subarray(0, k).includes(t));
          list[k] = t;
        }
        const before = Array.from(s.tracks), beforeKept = Array.from(s.kept);
        const r = env.step(list);
        buf.pushStep(s, list, r);
        expected.push({ s: before, kept: beforeKept, next: Array.from(r.next.tracks), nextKept: Array.from(r.next.kept), reward: r.reward, done: r.done });
        s = r.next;
        done = r.done;
      }
    }
    expect(buf.size).toBe(12);
    expected.forEach((x, i) => {
      expect(Array.from(buf.states.subarray(i * NL, (i + 1) * NL))).toEqual(x.s);
      expect(Array.from(buf.kept.subarray(i * NL, (i + 1) * NL))).toEqual(x.kept);
      expect(Array.from(buf.nextKept.subarray(i * NL, (i + 1) * NL))).toEqual(x.nextKept);
      expect(Array.from(buf.nexts.subarray(i * NL, (i + 1) * NL))).toEqual(x.next);
      expect(buf.reward[i]).toBeCloseTo(x.reward, 6);
      expect(buf.dones[i]).toBe(x.done ? 1 : 0);
    });
  });
});
