// Histories as users give them (library, CLI, page): ids with optional skip feedback.
import { describe, it, expect } from "vitest";
import { historyState, parseHistoryText } from "../src/core/history.js";
import { allocStates } from "../src/core/state.js";

const ids = ["a", "b", "c", "d", "e"];
const indexOf = (id: string) => ids.indexOf(id);

describe("history", () => {
  it("parses the CLI syntax: ':s' skipped, ':k' or nothing kept", () => {
    expect(parseHistoryText(" a, b:s ,c:k,d:S,,")).toEqual([
      { track: "a", skipped: false }, { track: "b", skipped: true }, { track: "c", skipped: false }, { track: "d", skipped: true },
    ]);
    expect(() => parseHistoryText("a,b:x")).toThrow(/'b:x': the feedback after ':' must be 's' \(skipped\) or 'k' \(kept\)/);
  });

  it("builds the state of the last N plays; plain ids mean kept", () => {
    const s = historyState(["a", { track: "b", skipped: true }, "c", { track: "d" }, { track: "e", skipped: false }], 3, indexOf, allocStates(1, 3));
    expect(Array.from(s.tracks)).toEqual([2, 3, 4]);
    expect(Array.from(s.kept)).toEqual([1, 1, 1]);
    const t = historyState(["a", { track: "b", skipped: true }, "c"], 3, indexOf, allocStates(1, 3));
    expect(Array.from(t.kept)).toEqual([1, 0, 1]);
  });

  it("rejects short histories, unknown ids and malformed items, naming them", () => {
    expect(() => historyState(["a", "b"], 3, indexOf, allocStates(1, 3))).toThrow(/at least N = 3 plays .* got 2/);
    expect(() => historyState(["a", "b", "zz"], 3, indexOf, allocStates(1, 3))).toThrow(/track 'zz' is not in the model's catalog/);
    expect(() => historyState(["a", 7 as unknown as string, "c"], 3, indexOf, allocStates(1, 3), "--history")).toThrow(/--history: history item 1 is 7/);
    expect(() => historyState(["a", { track: "b", skipped: "yes" as unknown as boolean }, "c"], 3, indexOf, allocStates(1, 3))).toThrow(/item 1: 'skipped' must be true or false/);
    expect(() => historyState("abc" as unknown as string[], 3, indexOf, allocStates(1, 3))).toThrow(/must be an array/);
  });
});
