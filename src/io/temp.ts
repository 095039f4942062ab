// Temporary files of encore's writers: one naming scheme, a registry of this process's own
// temporaries, their removal on SIGINT / SIGTERM, and the removal of temporaries that dead
// processes left behind.
//
// A temporary for target dir/name is dir/.name[.tag].<pid>.<n>.tmp: in the target's directory
// (same file system, so the final rename is atomic), hidden, and carrying the writing process's
// id. Every writer calls removeStaleTemps(target) before it starts, which deletes the
// temporaries of that target whose process no longer exists (a SIGKILL, a power cut, a crash
// leaves them); a temporary whose pid is alive is kept, whoever owns it, so a concurrent
// writer is never disturbed (a reused pid only delays the cleanup). The CLI installs
// installSignalCleanup(), which on SIGINT or SIGTERM deletes this process's registered
// temporaries and then lets the signal take its default course (the exit status still says
// which signal ended the process).
import { readdirSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";

const live = new Set<string>();
let counter = 0;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A fresh temporary path beside `target`, registered for removal on SIGINT / SIGTERM. */
export function tempPath(target: string, tag?: string): string {
  if (tag !== undefined && !/^[A-Za-z0-9_-]+$/.test(tag)) throw new Error(`tempPath: tag must be letters, digits, _ or -, got '${tag}'`);
  const p = join(dirname(target), `.${basename(target)}${tag ? "." + tag : ""}.${process.pid}.${++counter}.tmp`);
  live.add(p);
  return p;
}

/** The temporary was renamed into place (or removed by the caller): stop tracking it. */
export function forgetTemp(path: string): void {
  live.delete(path);
}

/** Remove a temporary of this process (a missing file is fine) and stop tracking it. */
export function removeTemp(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  live.delete(path);
}

/** This process's temporaries not yet renamed or removed (for tests). */
export function liveTemps(): string[] {
  return [...live];
}

/** Whether a process with this id exists (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Delete the temporaries of `target` (any tag) left by processes that no longer exist, and the
 * older dataset-cache form .name.tmp-<pid>-<n>. Returns the paths removed. Never throws for a
 * directory that does not exist yet.
 */
export function removeStaleTemps(target: string): string[] {
  const dir = dirname(target), base = escapeRegExp(basename(target));
  const current = new RegExp(`^\\.${base}(?:\\.[A-Za-z0-9_-]+)?\\.(\\d+)\\.\\d+\\.tmp$`);
  const legacy = new RegExp(`^\\.${base}\\.tmp-(\\d+)-\\d+$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = current.exec(name) ?? legacy.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pidAlive(pid)) continue;
    const p = join(dir, name);
    try {
      unlinkSync(p);
      removed.push(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return removed;
}

let installed = false;

/**
 * On SIGINT and SIGTERM, remove this process's temporaries; then, unless another handler is
 * listening (e.g. a server's graceful stop), re-raise the signal with its default action.
 */
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const handler = (): void => {
      for (const p of [...live]) {
        try {
          unlinkSync(p);
        } catch {
          // already gone, or the directory went away: nothing left to clean
        }
        live.delete(p);
      }
      if (process.listenerCount(sig) > 1) return;
      process.removeListener(sig, handler);
      process.kill(process.pid, sig); // no listener left: the default action ends the process
    };
    process.on(sig, handler);
  }
}
