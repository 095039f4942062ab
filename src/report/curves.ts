// Per-episode series made readable: a trailing moving average, downsampling for drawing, and
// the test for a series that never changes (which is stated, not charted). Pure functions, no
// I/O; used by the HTML report and the demo page's live curve.

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * The moving-average window for n episodes: about n/50 (so a long run is smoothed over a
 * fiftieth of its length and a short one still shows its trend), at least 5 and at most n.
 */
export function smoothingWindow(n: number): number {
  return Math.max(1, Math.min(n, Math.max(5, Math.round(n / 50))));
}

/**
 * Trailing moving average over the last `w` finite values up to each index (fewer at the
 * start); NaN where none of them is finite yet. Non-finite values are skipped, not zeroed.
 */
export function movingAverage(ys: ArrayLike<number>, w: number): number[] {
  if (!(Number.isInteger(w) && w >= 1)) throw new Error(`movingAverage: window must be a positive integer, got ${w}`);
  const out = new Array<number>(ys.length);
  let sum = 0, count = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (finite(y)) {
      sum += y;
      count++;
    }
    if (i >= w) {
      const old = ys[i - w];
      if (finite(old)) {
        sum -= old;
        count--;
      }
    }
    out[i] = count > 0 ? sum / count : NaN;
  }
  return out;
}

/**
 * Points of (xs, ys) to draw a dense raw series with at most about 2·bins points: per bin of
 * consecutive points, its smallest and largest finite value in the order they occur (the
 * shape a line through every point would draw at that width: M4-style downsampling keeps
 * every spike, averaging would hide them). Series of at most 2·bins points are returned whole;
 * non-finite values become gaps (null) there.
 */
export function downsampleMinMax(xs: ArrayLike<number>, ys: ArrayLike<number>, bins = 300): [number, number | null][] {
  const n = Math.min(xs.length, ys.length);
  if (n <= 2 * bins) {
    const out: [number, number | null][] = [];
    for (let i = 0; i < n; i++) out.push([xs[i], finite(ys[i]) ? ys[i] : null]);
    return out;
  }
  const out: [number, number | null][] = [];
  for (let b = 0; b < bins; b++) {
    const i0 = Math.floor((b * n) / bins), i1 = Math.floor(((b + 1) * n) / bins);
    let lo = -1, hi = -1;
    for (let i = i0; i < i1; i++) {
      if (!finite(ys[i])) continue;
      if (lo < 0 || ys[i] < ys[lo]) lo = i;
      if (hi < 0 || ys[i] > ys[hi]) hi = i;
    }
    if (lo < 0) {
      out.push([xs[i0], null]); // a bin without a finite value: a gap
      continue;
    }
    const [a, z] = lo <= hi ? [lo, hi] : [hi, lo];
    out.push([xs[a], ys[a]]);
    if (z !== a) out.push([xs[z], ys[z]]);
  }
  return out;
}

/** Every `step`-th point of a smooth series (and the last), at most about `points` of them; gaps as null. */
export function thin(xs: ArrayLike<number>, ys: ArrayLike<number>, points = 600): [number, number | null][] {
  const n = Math.min(xs.length, ys.length);
  const step = Math.max(1, Math.ceil(n / points));
  const out: [number, number | null][] = [];
  for (let i = 0; i < n; i += step) out.push([xs[i], finite(ys[i]) ? ys[i] : null]);
  if (n > 0 && (n - 1) % step !== 0) out.push([xs[n - 1], finite(ys[n - 1]) ? ys[n - 1] : null]);
  return out;
}

/**
 * The value of a series whose finite values are all equal (to 1e-12 of their size), else
 * null. A series with no finite value is not constant (null).
 */
export function constantValue(ys: ArrayLike<number>): number | null {
  let first: number | null = null;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!finite(y)) continue;
    if (first === null) first = y;
    else if (Math.abs(y - first) > 1e-12 * Math.max(1, Math.abs(first))) return null;
  }
  return first;
}
