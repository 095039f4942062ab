// Node file I/O for encore's outputs: atomic single files, all-or-nothing sets of files, and
// checked reads.
//
// Atomic write: the bytes go to a temporary file in the target's directory (same file
// system, so rename is atomic; named and cleaned up by src/io/temp.ts), which is fsynced, then
// renamed over the target, then the directory is fsynced so the rename itself is durable. A
// reader sees either the old file or the complete new one, never a partial write; if anything
// fails before the rename the temporary file is removed and the old file is untouched.
//
// A set of files (FileSet): every member is first written completely to its temporary and
// fsynced; only when all are complete are they renamed into place, in the order staged (the
// caller stages its manifest, if any, last, and removes the old manifest first). A failure
// while staging — a full disk, a bad value, an interrupt — leaves the old set as it was and no
// temporary behind.
//
// Every error names the file: "cannot write <path>: <reason>", "<path>: no such file".

import { open, rename, readFile } from "node:fs/promises";
import { closeSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { decode, encode, type BinFile, type BinFileContent, type DecodeOptions } from "./binfile.js";
import { forgetTemp, removeStaleTemps, removeTemp, tempPath } from "./temp.js";

export interface AtomicWriteOptions {
  /** Called after the temporary file is complete and synced, just before the rename (tests use it to inject a failure). */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/** The error for a failed write of `path`, keeping the cause. */
export function writeError(path: string, e: unknown): Error {
  const msg = (e as Error).message ?? String(e);
  return new Error(msg.startsWith(`cannot write ${path}:`) ? msg : `cannot write ${path}: ${msg}`, { cause: e });
}

/** Write bytes to a new file at `temp` (exclusive create) and fsync it. */
export async function writeSynced(temp: string, data: Uint8Array): Promise<void> {
  const fh = await open(temp, "wx"); // fails rather than clobbering a stray file of that name
  try {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a file written by a stream (whose own close does not sync). */
export async function syncFile(path: string): Promise<void> {
  const fh = await open(path, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write `data` to `path` atomically (see the file header). */
export async function writeFileAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  let temp = "";
  let renamed = false;
  try {
    removeStaleTemps(path);
    temp = tempPath(path);
    await writeSynced(temp, data);
    await options.beforeRename?.(temp);
    await rename(temp, path);
    renamed = true;
    forgetTemp(temp);
    await syncDirectory(dir);
  } catch (e) {
    if (temp && !renamed) {
      try {
        removeTemp(temp);
      } catch {
        // the directory itself is unusable; the write error below says so
      }
    }
    throw writeError(path, e);
  }
}

/**
 * Write chunks to a new file (exclusive create: an existing file is an error), straight from
 * their arrays, with no whole-file buffer: the streamed writers (dataset cache, shards) give it
 * their temporary's path.
 */
export function writeChunksSync(path: string, chunks: readonly Uint8Array[]): void {
  const fd = openSync(path, "wx");
  try {
    for (const b of chunks) {
      let o = 0;
      while (o < b.length) o += writeSync(fd, b, o, b.length - o);
    }
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory so a rename in it is durable; platforms that cannot (Windows) are skipped. */
export async function syncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw e;
  } finally {
    await fh.close();
  }
}

/**
 * An all-or-nothing set of output files (see the file header). Stage every member, then
 * commit(); on any error call abort() (commit does it itself).
 */
export class FileSet {
  private readonly staged: { temp: string; target: string }[] = [];

  /** Stage `data` as the new content of `target`. */
  async bytes(target: string, data: Uint8Array): Promise<void> {
    await this.file(target, (temp) => writeSynced(temp, data));
  }

  /** Stage a file that `write` creates at the temporary path it is given (fsynced afterwards). */
  async file(target: string, write: (temp: string) => Promise<void>): Promise<void> {
    if (this.staged.some((s) => s.target === target)) throw new Error(`FileSet: ${target} staged twice`);
    removeStaleTemps(target);
    const temp = tempPath(target);
    this.staged.push({ temp, target });
    try {
      await write(temp);
      await syncFile(temp);
    } catch (e) {
      throw writeError(target, e);
    }
  }

  /** The byte size of a staged member's complete temporary. */
  stagedSize(target: string): number {
    const s = this.staged.find((x) => x.target === target);
    if (!s) throw new Error(`FileSet: ${target} is not staged`);
    return statSync(s.temp).size;
  }

  /**
   * Rename every staged file into place, in staging order, after deleting `removeFirst` (the
   * old manifest, so that no manifest ever describes a half-renamed set).
   */
  async commit(removeFirst: string[] = []): Promise<void> {
    try {
      for (const p of removeFirst) {
        try {
          unlinkSync(p);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw writeError(p, e);
        }
      }
      while (this.staged.length > 0) {
        const { temp, target } = this.staged[0];
        try {
          await rename(temp, target);
        } catch (e) {
          throw writeError(target, e);
        }
        forgetTemp(temp);
        this.staged.shift();
        await syncDirectory(dirname(target));
      }
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Remove every staged temporary (the targets are untouched). */
  abort(): void {
    for (const { temp } of this.staged.splice(0)) {
      try {
        removeTemp(temp);
      } catch {
        // the directory is gone or unwritable: nothing to clean there
      }
    }
  }
}

/** Write several files all-or-nothing: bytes per target, committed in the order given. */
export async function writeFilesAtomic(files: [string, Uint8Array][], removeFirst: string[] = []): Promise<void> {
  const set = new FileSet();
  try {
    for (const [target, data] of files) await set.bytes(target, data);
  } catch (e) {
    set.abort();
    throw e;
  }
  await set.commit(removeFirst);
}

/** Encode a container and write it atomically. */
export async function writeBinFile(path: string, content: BinFileContent, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, encode(content), options);
}

/** A read error naming `path`: missing, a directory, or the system's reason. */
export function readError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const msg = code === "ENOENT" ? `${path}: no such file`
    : code === "EISDIR" ? `${path}: is a directory, not a file`
      : `cannot read ${path}: ${(e as Error).message}`;
  return new Error(msg, { cause: e });
}

/** A whole file's bytes; a missing or unreadable file gives a one-line error naming `path`. */
export async function readFileNamed(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw readError(path, e);
  }
}

/** Read and verify a container; every error names `path`. */
export async function readBinFile(path: string, expect: Omit<DecodeOptions, "name">): Promise<BinFile> {
  return decode(await readFileNamed(path), { ...expect, name: path });
}
