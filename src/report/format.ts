// Text helpers for the HTML report: escaping and number formatting. Pure functions, no I/O.

import type { Estimate } from "../eval/types.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for HTML element content and for quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const isFiniteNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * Decimals that show a set of figures to about three significant digits of the largest
 * magnitude (0.54 → 3, 12.3 → 1, 1234 → 0), so a column of one metric lines up. At most 6.
 */
export function decimalsFor(values: number[]): number {
  const finite = values.filter(isFiniteNumber).map(Math.abs);
  const max = finite.length ? Math.max(...finite) : 0;
  if (max === 0) return 2;
  const d = 2 - Math.floor(Math.log10(max));
  return Math.min(6, Math.max(0, d));
}

/** A number with fixed decimals; "–" for NaN, ±Infinity or a missing value (e.g. null from JSON). */
export function formatNumber(x: unknown, decimals: number): string {
  if (!isFiniteNumber(x)) return "–";
  const s = x.toFixed(decimals);
  return s === `-${(0).toFixed(decimals)}` ? s.slice(1) : s; // no "-0.000"
}

/** "0.512 [0.488, 0.537]": the mean and its 95% interval. */
export function formatEstimate(e: Estimate, decimals: number): string {
  return `${formatNumber(e.mean, decimals)} ${formatInterval(e, decimals)}`;
}

/** "[0.488, 0.537]". */
export function formatInterval(e: Estimate, decimals: number): string {
  return `[${formatNumber(e.lo, decimals)}, ${formatNumber(e.hi, decimals)}]`;
}

/** A fraction in [0, 1] as a percentage with one decimal: 0.093 → "9.3%". */
export function formatPercent(x: unknown): string {
  return isFiniteNumber(x) ? `${(100 * x).toFixed(1)}%` : "–";
}

/** A config or dataset value as compact text (objects as JSON). */
export function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * One number for people, the same way everywhere (CLI and report): integers with digit
 * grouping ("9,979"), other numbers to 3 significant digits ("0.517", "12.3", "0.000150"),
 * larger ones rounded to an integer ("1,235"); "–" for a missing or non-finite value.
 */
export function formatFigure(x: unknown): string {
  if (!isFiniteNumber(x)) return "–";
  if (Number.isInteger(x) || Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  const s = x.toPrecision(3);
  return s.startsWith("-") && Number(s) === 0 ? s.slice(1) : s;
}

/**
 * A dataset or summary field: rates (a name ending in "rate" or "share" with a value in
 * [0, 1]) as percentages, other numbers by formatFigure, everything else by formatValue.
 */
export function formatField(key: string, value: unknown): string {
  if (isFiniteNumber(value)) return /(rate|share)$/i.test(key) && value >= 0 && value <= 1 ? formatPercent(value) : formatFigure(value);
  return formatValue(value);
}

/** "+0.012", "-0.004", "0.000": a difference with its sign, fixed decimals. */
export function formatSigned(x: unknown, decimals: number): string {
  const s = formatNumber(x, decimals);
  if (s === "–" || s.startsWith("-") || Number(s) === 0) return s;
  return `+${s}`;
}

/** "+0.012 [-0.004, +0.027]": a paired difference and its interval. */
export function formatDifference(e: Estimate, decimals: number): string {
  return `${formatSigned(e.mean, decimals)} [${formatSigned(e.lo, decimals)}, ${formatSigned(e.hi, decimals)}]`;
}

/** "higher is better", "lower is better", or "neutral: neither better nor worse". */
export function directionText(direction: "higher" | "lower" | "neutral"): string {
  return direction === "neutral" ? "neutral: neither better nor worse" : `${direction} is better`;
}

/** The arrow the CLI puts after a metric id: ↑ higher is better, ↓ lower is better, nothing when neutral. */
export function directionArrow(direction: "higher" | "lower" | "neutral"): string {
  return direction === "higher" ? " ↑" : direction === "lower" ? " ↓" : "";
}
