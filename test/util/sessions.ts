// Planted-cluster listening sessions for item2vec tests (test/sgns.test.ts, test/threads.test.ts):
// C clusters of M tracks, each session drawn from one cluster with Zipf-like popularity, a share
// `noise` of plays uniform over all tracks, and `rare` tracks played once (below any minCount).
import { Rng } from "../../src/rng.js";
import type { Sessions } from "../../src/embed/item2vec.js";

export function clusteredSessions(seed: number, S: number, C: number, M: number, noise: number, rare = 0): { sessions: Sessions; V: number; cluster: Int32Array } {
  const rng = new Rng(seed);
  const V = C * M + rare;
  const cluster = new Int32Array(V).fill(-1);
  for (let t = 0; t < C * M; t++) cluster[t] = Math.floor(t / M);
  const cum = new Float64Array(M);
  for (let r = 0, acc = 0; r < M; r++) cum[r] = acc += 1 / Math.pow(r + 1, 0.8);
  const offsets = new Int32Array(S + 1);
  const tracks: number[] = [];
  for (let s = 0; s < S; s++) {
    const cl = rng.int(C), L = 10 + rng.int(11);
    for (let i = 0; i < L; i++) {
      if (rng.float() < noise) { tracks.push(rng.int(C * M)); continue; }
      const x = rng.float() * cum[M - 1];
      let r = 0;
      while (cum[r] <= x) r++;
      tracks.push(cl * M + r);
    }
    if (s < rare) tracks.push(C * M + s); // one play of a rare track
    offsets[s + 1] = tracks.length;
  }
  return { sessions: { offsets, tracks: Int32Array.from(tracks) }, V, cluster };
}

export function topNeighbours(E: Float32Array, d: number, V: number, t: number, k: number, valid: Uint8Array): number[] {
  const norm = (i: number) => Math.sqrt(E.subarray(i * d, i * d + d).reduce((a, b) => a + b * b, 0));
  const nt = norm(t);
  const scored: [number, number][] = [];
  for (let i = 0; i < V; i++) {
    if (i === t || !valid[i]) continue;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += E[t * d + j] * E[i * d + j];
    scored.push([dot / (nt * norm(i) + 1e-30), i]);
  }
  scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return scored.slice(0, k).map((s) => s[1]);
}
