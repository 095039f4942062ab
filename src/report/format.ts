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
