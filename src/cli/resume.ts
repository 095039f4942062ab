// `encore train --resume`: a resumed run continues exactly, with the settings stored in the
// checkpoint. Before training starts, this compares the command's flags with the checkpoint:
// a flag given on the command line with another value than the checkpoint's is refused (it
// could not take effect), a target episode count at or below the episodes already trained is
// refused, and the settings the checkpoint imposes over this command's defaults are listed so
// the user sees them.

/** One setting a checkpoint stores, beside what this command would use without it. */
export interface ResumeSetting {
  /** The flag, e.g. "--seed". */
  flag: string;
  /** Whether the flag was given on the command line. */
  given: boolean;
  /** This command's value: the flag's, or its default (undefined: the library default). */
  value: unknown;
  /** The checkpoint's value. */
  stored: unknown;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function text(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v);
}

/**
 * Check a resume against the checkpoint at `path` that has trained `done` episodes. Throws
 * one Error listing every contradiction; returns the overridden settings as "--flag value".
 */
export function checkResume(path: string, done: number, target: number, settings: ResumeSetting[]): string[] {
  const problems: string[] = [];
  if (target <= done) {
    problems.push(`--episodes ${target} is not above the ${done} episodes the checkpoint has trained (--episodes is the total to reach, e.g. --episodes ${done + Math.max(1, target)})`);
  }
  const overrides: string[] = [];
  let contradictions = 0;
  for (const s of settings) {
    if (s.stored === undefined || same(s.value, s.stored)) continue;
    if (s.given) {
      problems.push(`${s.flag} ${text(s.value)} contradicts the checkpoint's ${text(s.stored)}`);
      contradictions++;
    } else overrides.push(`${s.flag} ${text(s.stored)}`);
  }
  if (problems.length > 0) {
    const advice = contradictions > 0 ? ". A resumed run continues with the checkpoint's settings: drop the contradicting flags, or train a new model without --resume" : "";
    throw new Error(`--resume ${path}: ${problems.join("; ")}${advice}`);
  }
  return overrides;
}
