// Listening states: what every environment, policy, replay buffer and network reads.
//
// A state is the N most recent plays of a session, oldest first, each a track index AND its
// feedback: kept (listened: MSSD's skip_2 is False) or skipped. The listener's taste moves
// towards what was kept and away from what was skipped, so a state without feedback throws
// away what a listener said about the last N tracks.
//
// A batch of B states is two parallel row-major arrays: tracks (B, N) and kept (B, N), so hot
// loops pass typed-array views and allocate nothing.
//
// This file imports nothing (it sits below rl/, agent/ and eval/, which all use it).

/** B listening states, (B, N) each, row b at [b·N, (b+1)·N), oldest play first. */
export interface States {
  /** Track indices. */
  tracks: Int32Array;
  /** Feedback per play: 1 kept (not skipped), 0 skipped. */
  kept: Uint8Array;
}

/** Fresh zeroed storage for B states of N plays (kept flags 1: a history without flags means "all kept"). */
export function allocStates(B: number, N: number): States {
  return { tracks: new Int32Array(B * N), kept: new Uint8Array(B * N).fill(1) };
}

/** Rows [b0, b1) of a batch, as views (no copy). */
export function stateRows(s: States, N: number, b0: number, b1: number): States {
  return { tracks: s.tracks.subarray(b0 * N, b1 * N), kept: s.kept.subarray(b0 * N, b1 * N) };
}

/** States from track indices alone: every play counted as kept (the meaning of a history without feedback). */
export function keptStates(tracks: Int32Array): States {
  return { tracks, kept: new Uint8Array(tracks.length).fill(1) };
}

/** Copy row `from` of `src` into row `to` of `dst` (N plays). */
export function copyStateRow(src: States, from: number, dst: States, to: number, N: number): void {
  dst.tracks.set(src.tracks.subarray(from * N, from * N + N), to * N);
  dst.kept.set(src.kept.subarray(from * N, from * N + N), to * N);
}
