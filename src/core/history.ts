// A listener's history as users give it: track ids, oldest first, each optionally marked as
// skipped. The library's recommend(), the CLI's --history and the demo page all read it here,
// so they accept the same things and fail with the same messages.
//
//   ["t_a", "t_b", …]                                   every play kept (no feedback given)
//   [{ track: "t_a", skipped: true }, "t_b", …]          per-play feedback
//   CLI text "t_a:s,t_b,t_c:k"                           ":s" skipped, ":k" (or nothing) kept
//
// No imports from Node.
import type { States } from "./state.js";

/** One play of a history: a track id (kept), or the id with its feedback. */
export type HistoryItem = string | { track: string; skipped?: boolean };

/** The CLI's history syntax: comma-separated ids, ":s" after an id marks a skip, ":k" a keep. */
export function parseHistoryText(text: string): { track: string; skipped: boolean }[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((item) => {
    const m = /^(.*):([a-z]+)$/i.exec(item);
    if (!m) return { track: item, skipped: false };
    const flag = m[2].toLowerCase();
    if (flag !== "s" && flag !== "k") throw new Error(`history: '${item}': the feedback after ':' must be 's' (skipped) or 'k' (kept)`);
    return { track: m[1], skipped: flag === "s" };
  });
}

/**
 * The state (one row) of the last N plays of `history`: tracks through `indexOf` (−1 = unknown),
 * flags from each item's `skipped`. Throws naming the first unknown or malformed item, or when
 * the history is shorter than N. Writes into `out` (N tracks, N flags) and returns it.
 */
export function historyState(history: readonly HistoryItem[], N: number, indexOf: (id: string) => number, out: States, who = "recommend"): States {
  if (!Array.isArray(history)) throw new Error(`${who}: the history must be an array of track ids (or { track, skipped } objects), oldest first`);
  if (history.length < N) throw new Error(`${who}: the history needs at least N = ${N} plays (the listener's last ${N} tracks, oldest first), got ${history.length}`);
  const last = history.slice(-N);
  for (let n = 0; n < N; n++) {
    const item = last[n];
    const id = typeof item === "string" ? item : item && typeof item === "object" ? item.track : undefined;
    if (typeof id !== "string") throw new Error(`${who}: history item ${history.length - N + n} is ${JSON.stringify(item)}, not a track id or { track, skipped }`);
    const skipped = typeof item === "object" ? item.skipped ?? false : false;
    if (typeof skipped !== "boolean") throw new Error(`${who}: history item ${history.length - N + n}: 'skipped' must be true or false, got ${JSON.stringify(skipped)}`);
    const t = indexOf(id);
    if (t < 0) throw new Error(`${who}: track '${id}' is not in the model's catalog`);
    out.tracks[n] = t;
    out.kept[n] = skipped ? 0 : 1;
  }
  return out;
}
