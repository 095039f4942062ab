// The CLI's progress bars (src/cli/progress.ts): the bar text, fractions, one bar per
// evaluation protocol in turn, and silence when not on a terminal.
import { describe, expect, it } from "vitest";
import { Progress, ProtocolBars, progressLine } from "../src/cli/progress.js";

function fakeStream(): NodeJS.WriteStream & { text: string } {
  const s = { text: "", isTTY: true, columns: 200, write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe("progress bars", () => {
  it("draws done of total with elapsed time and an estimate of what is left", () => {
    expect(progressLine("train", 5, 20, 10)).toBe("train [######------------------] 5/20 10.0s eta 30.0s");
    expect(progressLine("evaluate online", 2.5, 10, 5, "policy runs")).toBe("evaluate online [######------------------] 2/10 5.0s eta 15.0s  policy runs");
    expect(progressLine("x", 10, 10, 61)).toBe("x [########################] 10/10 1m01s");
  });

  it("one bar per protocol, each finished on a line of its own; nothing off a terminal", () => {
    const s = fakeStream();
    const bars = new ProtocolBars(s, true);
    bars.update("original", 0.5, 4);
    bars.update("original", 4, 4);
    bars.update("next-tracks", 1, 4);
    bars.done();
    const lines = s.text.split("\n").filter(Boolean);
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/evaluate original \[#+\] 4\/4/);
    expect(lines[1]).toMatch(/evaluate next-tracks \[#+\] 4\/4/);
    const quiet = { ...fakeStream(), isTTY: false } as NodeJS.WriteStream & { text: string };
    const p = new Progress("train", 3, quiet);
    p.update(1);
    p.done();
    expect(quiet.text).toBe("");
  });
});
