// Node file I/O for binary containers (src/io/binfile.ts): atomic writes and checked reads.
//
// Atomic write: the bytes go to a temporary file in the target's directory (same file
// system, so rename is atomic), which is fsynced, then renamed over the target, then the
// directory is fsynced so the rename itself is durable. A reader sees either the old file
// or the complete new one, never a partial write; if anything fails before the rename the
// temporary file is removed and the old file is untouched.

import { open, rename, unlink, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { decode, encode, type BinFile, type BinFileContent, type DecodeOptions } from "./binfile.js";

export interface AtomicWriteOptions {
  /** Called after the temporary file is complete and synced, just before the rename (tests use it to inject a failure). */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

let counter = 0;

/** Write `data` to `path` atomically (see the file header). */
export async function writeFileAtomic(path: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++counter}.tmp`);
  let renamed = false;
  try {
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
    await options.beforeRename?.(temp);
    await rename(temp, path);
    renamed = true;
    await syncDirectory(dir);
  } catch (e) {
    if (!renamed) await unlink(temp).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** fsync a directory so a rename in it is durable; platforms that cannot (Windows) are skipped. */
async function syncDirectory(dir: string): Promise<void> {
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

/** Encode a container and write it atomically. */
export async function writeBinFile(path: string, content: BinFileContent, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, encode(content), options);
}

/** A whole file's bytes; a missing or unreadable file gives a one-line error naming `path`. */
export async function readFileNamed(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `${path}: no such file` : `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Read and verify a container; every error names `path`. */
export async function readBinFile(path: string, expect: Omit<DecodeOptions, "name">): Promise<BinFile> {
  return decode(await readFileNamed(path), { ...expect, name: path });
}
