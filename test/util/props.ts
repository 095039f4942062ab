// Property-based test settings shared by the fast-check tests: a fixed seed and a modest number
// of cases in CI; longer campaigns set ENCORE_FC_RUNS (and ENCORE_FC_SEED for fresh cases), e.g.
//   ENCORE_FC_RUNS=10000 ENCORE_FC_SEED=7 npm run test:props
// fast-check prints the seed and the shrunk counterexample of any failure, which replays with
// the same ENCORE_FC_SEED.
export const FC_SEED = Number(process.env.ENCORE_FC_SEED ?? 20_251_201);

/** The number of cases: `ci` unless ENCORE_FC_RUNS asks for more (or fewer). */
export function runs(ci: number): number {
  const n = Number(process.env.ENCORE_FC_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ci;
}

/** fast-check parameters: fixed seed, `ci` cases by default. */
export function props(ci: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  return { seed: FC_SEED, numRuns: runs(ci), endOnFailure: false };
}

/** A vitest timeout for a property with `ci` cases of up to `msPerCase` each (never below 30 s). */
export function propTimeout(ci: number, msPerCase: number): number {
  return Math.max(30_000, runs(ci) * msPerCase);
}
