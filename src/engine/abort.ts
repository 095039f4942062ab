// Decoding the engine's abort(message, file, line, column) into the text of its Error: shared by
// the engine (src/engine/engine.ts) and its worker threads (src/engine/thread-worker.ts).
// No `node:` imports: this runs in browsers, Web Workers and edge runtimes.

/** "encore engine: <message>" with " (<file>:<line>:<col>)" when the build carries a location. */
export function abortMessage(memory: WebAssembly.Memory, msg: number, file: number, line: number, col: number): string {
  const where = file ? ` (${readString(memory, file)}:${line}:${col})` : "";
  return `encore engine: ${readString(memory, msg)}${where}`;
}

/** An AssemblyScript string in wasm memory: UTF-16 code units at ptr, byte length at ptr - 4. */
export function readString(memory: WebAssembly.Memory, ptr: number): string {
  const buf = memory.buffer;
  if (ptr < 4 || ptr % 4 !== 0 || ptr > buf.byteLength) return "?";
  const bytes = new Uint32Array(buf, ptr - 4, 1)[0];
  if (ptr + bytes > buf.byteLength || bytes % 2 !== 0) return "?";
  return String.fromCharCode(...new Uint16Array(buf, ptr, bytes >>> 1));
}
