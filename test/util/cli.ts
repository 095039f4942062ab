// The built CLI run as a child process, as a user runs it (tests that drive `encore` end to end).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** build/js/src/cli/main.js (present after `npm run build`; tests skip when it is not). */
export const CLI = fileURLToPath(new URL("../../build/js/src/cli/main.js", import.meta.url));

export interface CliResult { code: number; stdout: string; stderr: string }

/**
 * `run(...args)` runs `encore args…` in the folder cwd() names at the call, within timeoutMs;
 * `ok(...args)` does the same and returns its stdout, throwing with its stderr on a non-zero exit.
 */
export function cliRunner(cwd: () => string, timeoutMs = 120_000): { run: (...args: string[]) => CliResult; ok: (...args: string[]) => string } {
  const run = (...args: string[]): CliResult => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: cwd(), encoding: "utf8", timeout: timeoutMs });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (...args: string[]): string => {
    const r = run(...args);
    if (r.code !== 0) throw new Error(`encore ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return { run, ok };
}
