// Plain f64 reference of the LIRD simulator's scoring (Zhao et al. 2018, arXiv 1801.00209),
// written for clarity, not speed: vectors are built explicitly as number arrays, groups in a Map.
// It shares no code with src/rl/lird.ts.

export interface RefSample {
  state: number[];
  action: number[];
  flags: number[];
}

export interface RefOptions {
  alpha: number;
  gamma: number;
  mode: "groups" | "samples";
  weighting: "affine" | "softmax" | "ratio";
  temperature: number;
}

export interface RefResult {
  /** Prototype flags in prototype order (groups by ascending pattern, or samples in order). */
  protoFlags: number[][];
  sims: number[];
  weights: number[];
  best: number;
  /** Gap between the best and second-best similarity (to detect near ties). */
  margin: number;
  rewards: number[];
  reward: number;
}

/** Rows of an embedding matrix as number arrays. */
export function rows(E: Float32Array, V: number, d: number): number[][] {
  return Array.from({ length: V }, (_, v) => Array.from(E.subarray(v * d, (v + 1) * d)));
}

export function concat(emb: number[][], idx: number[]): number[] {
  return idx.flatMap((t) => emb[t]);
}

export function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: number[]): number {
  return Math.sqrt(dot(a, a));
}

export function normalised(a: number[]): number[] {
  const n = norm(a);
  return n > 0 ? a.map((x) => x / n) : a.map(() => 0);
}

export function cosine(a: number[], b: number[]): number {
  const na = norm(a), nb = norm(b);
  return na > 0 && nb > 0 ? dot(a, b) / (na * nb) : 0;
}

function mean(vs: number[][]): number[] {
  const m = new Array(vs[0].length).fill(0);
  for (const v of vs) for (let i = 0; i < v.length; i++) m[i] += v[i] / vs.length;
  return m;
}

export function listReward(flags: number[], gamma: number): number {
  return flags.reduce((s, r, k) => s + Math.pow(gamma, k) * r, 0);
}

/** Prototypes as (state vector, action vector, flags). */
export function prototypes(samples: RefSample[], emb: number[][], mode: "groups" | "samples"): { s: number[]; a: number[]; flags: number[] }[] {
  if (mode === "samples") return samples.map((x) => ({ s: concat(emb, x.state), a: concat(emb, x.action), flags: x.flags }));
  const groups = new Map<string, RefSample[]>();
  for (const x of samples) {
    const key = x.flags.join(",");
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(x);
  }
  // Order by the pattern number Σ_k r_k·2^k, as the simulator numbers its groups.
  const patternOf = (f: number[]): number => f.reduce((p, r, k) => p + r * 2 ** k, 0);
  const keys = [...groups.keys()].sort((a, b) => patternOf(a.split(",").map(Number)) - patternOf(b.split(",").map(Number)));
  return keys.map((key) => {
    const members = groups.get(key)!;
    return {
      s: mean(members.map((x) => normalised(concat(emb, x.state)))),
      a: mean(members.map((x) => normalised(concat(emb, x.action)))),
      flags: members[0].flags,
    };
  });
}

/**
 * Score (state, list). weighting "ratio" is the paper's sim / Σ sim (unsound with negative
 * similarities; kept only to show why the simulator does not use it).
 */
export function lirdReference(samples: RefSample[], emb: number[][], state: number[], list: number[], o: RefOptions): RefResult {
  const protos = prototypes(samples, emb, o.mode);
  const s = concat(emb, state), a = concat(emb, list);
  const sims = protos.map((p) => o.alpha * cosine(s, p.s) + (1 - o.alpha) * cosine(a, p.a));
  let best = 0;
  sims.forEach((v, i) => { if (v > sims[best]) best = i; });
  const others = sims.filter((_, i) => i !== best);
  const margin = others.length ? sims[best] - Math.max(...others) : Infinity;
  let raw: number[];
  if (o.weighting === "affine") raw = sims.map((v) => (1 + v) / 2);
  else if (o.weighting === "softmax") raw = sims.map((v) => Math.exp(v / o.temperature));
  else raw = sims.slice();
  let total = raw.reduce((x, y) => x + y, 0);
  if (o.weighting === "affine" && total === 0) { raw = raw.map(() => 1); total = raw.length; }
  const weights = raw.map((w) => w / total);
  const reward = protos.reduce((acc, p, i) => acc + weights[i] * listReward(p.flags, o.gamma), 0);
  return { protoFlags: protos.map((p) => p.flags), sims, weights, best, margin, rewards: protos[best].flags.slice(), reward };
}

/** The next state's tracks: the last N of state ++ the whole list (every listed track is played, kept or skipped). */
export function advanceReference(state: number[], list: number[], _rewards?: number[]): number[] {
  const all = [...state, ...list];
  return all.slice(all.length - state.length);
}

/** The feedback flags after advanceReference: the state's flags, then the list's (reward > 0 is kept), last N. */
export function advanceKeptReference(kept: number[], rewards: number[]): number[] {
  const all = [...kept, ...rewards.map((r) => (r > 0 ? 1 : 0))];
  return all.slice(all.length - kept.length);
}
