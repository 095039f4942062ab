// The CLI's option parsing, in one place. Every numeric option is declared with a type
// (integer or real) and a closed range whose maximum is shown in --help; every value is
// checked when the command line is parsed, before any command runs (so before any file is
// written), and a bad value gives a one-line message naming the option:
//   --episodes must be an integer from 1 to 1,000,000, got '0x10' (hexadecimal is not accepted)
//
// Accepted number syntax: plain decimal, optionally signed, with an optional fraction and
// exponent ("200", "1e6", "-0.5", "3.", ".25"). Rejected: the empty string, surrounding
// spaces, hexadecimal / octal / binary literals, digit separators, "Infinity" and "NaN" —
// all of which JavaScript's Number() would otherwise turn into 0, 16, Infinity or NaN.
//
// Declaring an option is one line, e.g.
//   .addOption(intOption("--episodes <n>", "episodes", { min: 1, max: 1_000_000 }, 200))
//
// Help shows every option's default one way, commander's "(default: 200)": from the value
// given to the declaration, or, for an option whose absence means something else than a value
// ("no filter", "all three protocols on synthetic data"), from defaultText().
import { Option } from "commander";

/** A closed integer range [min, max]. */
export interface IntRange {
  min: number;
  max: number;
}

/** A real range: [min, max], or (min, max] with `minExclusive`. */
export interface RealRange {
  min: number;
  max: number;
  minExclusive?: boolean;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** An integer written with digit grouping for messages: 1000000 → "1,000,000". */
export function grouped(n: number): string {
  return Number.isInteger(n) && Math.abs(n) >= 10_000 ? n.toLocaleString("en-US") : String(n);
}

function why(text: string): string {
  if (text === "") return " (empty)";
  if (text.trim() !== text) return " (spaces are not accepted)";
  if (/^[+-]?0[xX]/.test(text)) return " (hexadecimal is not accepted)";
  if (/^[+-]?0[oObB]/.test(text)) return " (octal and binary are not accepted)";
  if (/^[+-]?(Infinity|inf|NaN)$/i.test(text)) return " (not a finite number)";
  return "";
}

function show(text: string): string {
  const t = text.length > 40 ? text.slice(0, 40) + "…" : text;
  return `'${t.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)}'`;
}

/** The decimal value of `text`, or NaN when it is not a plain finite decimal number. */
export function decimalValue(text: string): number {
  if (!DECIMAL.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}

export function integerRangeText(r: IntRange): string {
  return `an integer from ${grouped(r.min)} to ${grouped(r.max)}`;
}

export function realRangeText(r: RealRange): string {
  return r.minExclusive ? `a number above ${r.min} and at most ${r.max}` : `a number from ${r.min} to ${r.max}`;
}

/** Parse an integer option value; throws an Error naming `flag` (e.g. "--episodes"). */
export function parseInteger(flag: string, text: string, r: IntRange): number {
  const v = decimalValue(text);
  if (!(Number.isInteger(v) && v >= r.min && v <= r.max)) {
    const beyond = Number.isInteger(v) ? (v > r.max ? " (above the maximum)" : " (below the minimum)") : Number.isFinite(v) ? " (not an integer)" : why(text);
    throw new Error(`${flag} must be ${integerRangeText(r)}, got ${show(text)}${beyond}`);
  }
  return v === 0 ? 0 : v; // -0 → 0
}

/** Parse a real option value; throws an Error naming `flag`. */
export function parseReal(flag: string, text: string, r: RealRange): number {
  const v = decimalValue(text);
  const inRange = r.minExclusive ? v > r.min && v <= r.max : v >= r.min && v <= r.max;
  if (!inRange) {
    const beyond = Number.isFinite(v) ? (v > r.max ? " (above the maximum)" : " (below the minimum)") : why(text);
    throw new Error(`${flag} must be ${realRangeText(r)}, got ${show(text)}${beyond}`);
  }
  return v === 0 ? 0 : v;
}

/** Parse a comma-separated list of integers (at most `maxItems`, none empty). */
export function parseIntegerList(flag: string, text: string, r: IntRange, maxItems: number): number[] {
  const parts = text.split(",");
  if (parts.length > maxItems) throw new Error(`${flag} takes at most ${maxItems} values, got ${parts.length}`);
  return parts.map((p, i) => {
    if (p.trim() === "") throw new Error(`${flag} must be a comma-separated list of integers, got ${show(text)} (value ${i + 1} is empty)`);
    return parseInteger(flag, p.trim(), r);
  });
}

/** Parse one of a fixed set of words. */
export function parseChoice<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new Error(`${flag} must be one of ${allowed.join(", ")}, got ${show(text)}`);
  return text as T;
}

/** Parse a comma-separated list of choices (duplicates removed, order kept). */
export function parseChoiceList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const out: T[] = [];
  for (const p of text.split(",")) {
    const c = parseChoice(flag, p.trim(), allowed);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

function flagOf(flags: string): string {
  const m = /--[a-z0-9-]+/.exec(flags);
  if (!m) throw new Error(`options: no long flag in '${flags}'`);
  return m[0];
}

/** An integer option: `--name <n>` in [min, max], shown in --help. */
export function intOption(flags: string, description: string, r: IntRange, defaultValue?: number): Option {
  const flag = flagOf(flags);
  const o = new Option(flags, `${description} (integer ${grouped(r.min)}..${grouped(r.max)})`).argParser((v: string) => parseInteger(flag, v, r));
  return defaultValue === undefined ? o : o.default(defaultValue);
}

/** A real option: `--name <x>` in its range, shown in --help. */
export function realOption(flags: string, description: string, r: RealRange, defaultValue?: number): Option {
  const flag = flagOf(flags);
  const o = new Option(flags, `${description} (${r.minExclusive ? `above ${r.min}, at most ${r.max}` : `${r.min}..${r.max}`})`).argParser((v: string) => parseReal(flag, v, r));
  return defaultValue === undefined ? o : o.default(defaultValue);
}

/** An option taking one of `choices`. */
export function choiceOption<T extends string>(flags: string, description: string, choices: readonly T[], defaultValue?: T): Option {
  const flag = flagOf(flags);
  const o = new Option(flags, description).argParser((v: string) => parseChoice(flag, v, choices));
  return defaultValue === undefined ? o : o.default(defaultValue);
}

/** A comma-separated list of integers in a range. */
export function intListOption(flags: string, description: string, r: IntRange, maxItems: number, defaultValue?: number[]): Option {
  const flag = flagOf(flags);
  const o = new Option(flags, `${description} (at most ${maxItems}, each ${grouped(r.min)}..${grouped(r.max)})`).argParser((v: string) => parseIntegerList(flag, v, r, maxItems));
  return defaultValue === undefined ? o : o.default(defaultValue, defaultValue.join(","));
}

/** A comma-separated list of choices. */
export function choiceListOption<T extends string>(flags: string, description: string, choices: readonly T[]): Option {
  const flag = flagOf(flags);
  return new Option(flags, description).argParser((v: string) => parseChoiceList(flag, v, choices));
}

/** Every seed option: a u32, as the random generators take. */
export const SEED: IntRange = { min: 0, max: 4_294_967_295 };

/**
 * Show `text` as the option's default in --help, in commander's own "(default: …)" form: as
 * the description of its default value when it has one, else appended to its description
 * (an option without a value, whose absence means what `text` says).
 */
export function defaultText(o: Option, text: string): Option {
  if (o.defaultValue !== undefined) o.defaultValueDescription = text;
  else o.description = `${o.description} (default: ${text})`;
  return o;
}
