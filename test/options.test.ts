// The CLI's option parser (src/cli/options.ts): plain decimal numbers only, typed (integer or
// real) and bounded, every rejection naming the option; properties over arbitrary strings;
// and, through the built CLI, every numeric option of every command refusing empty, hex,
// non-finite and too-large values before writing anything (issue 11, defects 2, 5 and 8).
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decimalValue, parseChoice, parseInteger, parseIntegerList, parseReal } from "../src/cli/options.js";
import { props } from "./util/props.js";

const R = { min: 1, max: 1_000_000 };

describe("parseInteger / parseReal", () => {
  it("accepts plain decimals, exponents included, within the range", () => {
    expect(parseInteger("--n", "200", R)).toBe(200);
    expect(parseInteger("--n", "1e6", R)).toBe(1_000_000);
    expect(parseInteger("--n", "+7", R)).toBe(7);
    expect(parseInteger("--n", "10.0", R)).toBe(10);
    expect(parseInteger("--seed", "-0", { min: 0, max: 5 })).toBe(0);
    expect(Object.is(parseInteger("--seed", "-0", { min: 0, max: 5 }), 0)).toBe(true);
    expect(parseReal("--lr", "1e-3", { min: 0, max: 1, minExclusive: true })).toBe(0.001);
    expect(parseReal("--x", ".25", { min: 0, max: 1 })).toBe(0.25);
    expect(parseReal("--x", "3.", { min: 0, max: 5 })).toBe(3);
  });

  it("rejects what Number() would turn into 0, 16, Infinity or NaN, naming the option and why", () => {
    const cases: [string, RegExp][] = [
      ["", /^--episodes must be an integer from 1 to 1,000,000, got '' \(empty\)$/],
      ["0x10", /got '0x10' \(hexadecimal is not accepted\)/],
      ["0b11", /\(octal and binary are not accepted\)/],
      ["0o17", /\(octal and binary are not accepted\)/],
      [" 5", /\(spaces are not accepted\)/],
      ["5 ", /\(spaces are not accepted\)/],
      ["Infinity", /\(not a finite number\)/],
      ["NaN", /\(not a finite number\)/],
      ["1e12", /got '1e12' \(above the maximum\)/],
      ["0", /\(below the minimum\)/],
      ["2.5", /\(not an integer\)/],
      ["1_000", /got '1_000'$/],
      ["1e400", /got '1e400'$/],
      ["ten", /got 'ten'$/],
    ];
    for (const [text, re] of cases) expect(() => parseInteger("--episodes", text, R), JSON.stringify(text)).toThrow(re);
    expect(() => parseReal("--gamma", "", { min: 0, max: 1 })).toThrow(/^--gamma must be a number from 0 to 1, got '' \(empty\)$/);
    expect(() => parseReal("--critic-lr", "0", { min: 0, max: 1e30, minExclusive: true })).toThrow(/--critic-lr must be a number above 0 and at most 1e\+30, got '0' \(below the minimum\)/);
    expect(() => parseReal("--noise", "-Infinity", { min: 0, max: 10 })).toThrow(/not a finite number/);
    expect(() => parseInteger("--n", "a\nb", R)).toThrow(/got 'a\\x0ab'/);
  });

  it("lists: every value checked, empty items and too many values rejected", () => {
    expect(parseIntegerList("--seeds", "0,1, 2", { min: 0, max: 9 }, 4)).toEqual([0, 1, 2]);
    expect(() => parseIntegerList("--seeds", "", { min: 0, max: 9 }, 4)).toThrow(/--seeds must be a comma-separated list of integers, got '' \(value 1 is empty\)/);
    expect(() => parseIntegerList("--seeds", "1,,2", { min: 0, max: 9 }, 4)).toThrow(/value 2 is empty/);
    expect(() => parseIntegerList("--seeds", "0x1", { min: 0, max: 9 }, 4)).toThrow(/--seeds must be an integer from 0 to 9, got '0x1' \(hexadecimal/);
    expect(() => parseIntegerList("--seeds", "1,2,3,4,5", { min: 0, max: 9 }, 4)).toThrow(/--seeds takes at most 4 values, got 5/);
    expect(() => parseChoice("--env", "", ["lird", "listener"])).toThrow(/--env must be one of lird, listener, got ''/);
  });
});

describe("option parser properties", () => {
  const DEC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const range = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1_000_000 })).map(([min, w]) => ({ min, max: min + w }));
  // Strings near the grammar's edges, beside arbitrary unicode.
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme" }),
    fc.stringMatching(/^[+-]?(0[xXoObB])?[0-9a-fA-F._eE+-]{0,12}$/),
    fc.integer({ min: -2_000_000, max: 2_000_000 }).map(String),
    fc.double({ noNaN: false }).map(String),
    fc.constantFrom("", " ", "Infinity", "-Infinity", "NaN", "0x10", "1e12", "1e", ".", "-", "+.5e-1", "00012", "1_0"),
  );

  test.prop([text, range], props(300))("an integer option returns an integer in range equal to the decimal text, or throws naming the option", (s, r) => {
    let v: number;
    try {
      v = parseInteger("--opt", s, r);
    } catch (e) {
      expect((e as Error).message.startsWith("--opt must be an integer from ")).toBe(true);
      // every rejection is right: not decimal, not an integer, or out of range
      const n = DEC.test(s) ? Number(s) : NaN;
      expect(Number.isInteger(n) && n >= r.min && n <= r.max).toBe(false);
      return;
    }
    expect(Number.isInteger(v)).toBe(true);
    expect(v).toBeGreaterThanOrEqual(r.min);
    expect(v).toBeLessThanOrEqual(r.max);
    expect(DEC.test(s)).toBe(true);
    expect(v).toBe(Number(s) === 0 ? 0 : Number(s));
  });

  test.prop([text], props(300))("a real option accepts exactly the finite decimals in range", (s) => {
    const r = { min: -5, max: 5 };
    const expected = DEC.test(s) && Number.isFinite(Number(s)) && Number(s) >= -5 && Number(s) <= 5;
    let ok = true, v = NaN;
    try {
      v = parseReal("--x", s, r);
    } catch (e) {
      ok = false;
      expect((e as Error).message).toMatch(/^--x must be a number from -5 to 5, got '/);
    }
    expect(ok).toBe(expected);
    if (ok) expect(v).toBe(Number(s) === 0 ? 0 : Number(s));
    expect(Number.isNaN(decimalValue(s))).toBe(!(DEC.test(s) && Number.isFinite(Number(s))));
  });
});

const CLI = process.env.ENCORE_CLI ?? fileURLToPath(new URL("../build/js/src/cli/main.js", import.meta.url));

describe.skipIf(!existsSync(CLI))("every numeric option of the CLI, before any file is written", () => {
  // [command, option, a valid value the other checks need] — every numeric option there is.
  const numeric: [string, string][] = [
    ["generate", "--sessions"], ["generate", "--tracks"], ["generate", "--seed"],
    ["prepare", "--min-length"], ["prepare", "--max-length"], ["prepare", "--min-plays"], ["prepare", "--min-popularity"], ["prepare", "--id-memory"],
    ["embed", "--dim"], ["embed", "--epochs"], ["embed", "--min-count"], ["embed", "--split-seed"], ["embed", "--seed"],
    ["train", "--episodes"], ["train", "--steps"], ["train", "--batch"], ["train", "--actor-lr"], ["train", "--critic-lr"], ["train", "--gamma"],
    ["train", "--tau"], ["train", "--noise"], ["train", "--seed"], ["train", "--checkpoint-every"],
    ["evaluate", "--seeds"], ["evaluate", "--max-sessions"], ["evaluate", "--episodes"], ["evaluate", "--bootstrap"],
    ["demo", "--sessions"], ["demo", "--episodes"], ["demo", "--seed"], ["serve", "--port"],
  ];
  const bad = ["", "0x10", "Infinity", "1e31"];
  // The values of the issue: each ran for hours, wrote gigabytes, or failed without naming the option.
  const huge: string[][] = [
    ["train", "--episodes", "1e12"], ["train", "--steps", "1e12"], ["embed", "--epochs", "1e12"], ["generate", "--sessions", "4294967296"],
    ["train", "--batch", "1e12"], ["generate", "--tracks", "1e12"], ["evaluate", "--bootstrap", "1e12"], ["evaluate", "--episodes", "1e12"],
    ["generate", "--sessions", "1e12"], ["train", "--episodes", "0x10"],
  ];

  it("rejects empty, hex, too large and non-finite values with the option named, exit 1, nothing written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "encore-opts-"));
    // A few CLI processes at a time: each exits as soon as its arguments are parsed.
    const runAll = async (cases: string[][]): Promise<{ args: string[]; status: number | null; stderr: string }[]> => {
      const out: { args: string[]; status: number | null; stderr: string }[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < cases.length) {
          const args = cases[next++];
          const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
            const c = spawn(process.execPath, [CLI, ...args], { cwd: dir, timeout: 30_000, killSignal: "SIGKILL" }); // a CLI that accepts the value would run on
            let stderr = "";
            c.stderr.on("data", (d) => (stderr += d));
            c.on("close", (status) => resolve({ status, stderr }));
          });
          out.push({ args, ...r });
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      return out;
    };
    try {
      const cases = numeric.flatMap(([cmd, opt]) => bad.map((v) => (cmd === "prepare" ? [cmd, "log.csv", opt, v] : [cmd, opt, v])));
      for (const r of await runAll(cases)) {
        const opt = r.args[r.args.length - 2];
        expect(r.status, `${r.args.join(" ")}: ${r.stderr}`).toBe(1);
        expect(r.stderr, r.args.join(" ")).toMatch(new RegExp(`^encore: ${opt} (must be|takes)`));
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
      }
      for (const r of await runAll(huge)) {
        expect(r.status, r.args.join(" ")).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^encore: ${r.args[1]} must be an integer from \\S+ to \\S+, got '${r.args[2]}' \\((above the maximum|hexadecimal is not accepted)\\)\n$`));
      }
      expect(readdirSync(dir)).toEqual([]); // not even .encore/
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it("--help shows each numeric option's range and maximum", () => {
    const h = spawnSync(process.execPath, [CLI, "train", "--help"], { encoding: "utf8" }).stdout.replace(/\s+/g, " ");
    expect(h).toMatch(/--episodes <n> episodes in total \(with --resume: the total to reach\) \(integer 1\.\.1,000,000\)/);
    expect(h).toMatch(/--critic-lr <x>.*\(above 0, at most 1e\+30\)/s);
    const g = spawnSync(process.execPath, [CLI, "generate", "--help"], { encoding: "utf8" }).stdout.replace(/\s+/g, " ");
    expect(g).toMatch(/--sessions <n>.*\(integer 1\.\.200,000,000\)/s);
  });
});
