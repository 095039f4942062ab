// Reads the exported functions' signatures and the exported globals straight from a wasm binary
// (type, import, function and export sections; https://webassembly.github.io/spec/core/binary/),
// since the JS API reports only export names and kinds.
export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "ref";

export interface WasmExports {
  functions: Map<string, { params: ValType[]; results: ValType[] }>;
  globals: Set<string>;
  other: Map<string, number>;
}

const VALTYPES: Record<number, ValType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "ref", 0x6f: "ref" };

export function wasmExports(bytes: Uint8Array): WasmExports {
  let p = 8;
  const u32 = (): number => {
    let v = 0, shift = 0, b: number;
    do { b = bytes[p++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  const name = (): string => { const n = u32(); const s = new TextDecoder().decode(bytes.subarray(p, p + n)); p += n; return s; };
  const limits = (): void => { const flag = bytes[p++]; u32(); if (flag & 1) u32(); };
  const valtype = (): ValType => {
    const t = VALTYPES[bytes[p++]];
    if (t === undefined) throw new Error(`unknown value type 0x${bytes[p - 1].toString(16)} at byte ${p - 1}`);
    return t;
  };
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error("not a wasm binary");
  const types: { params: ValType[]; results: ValType[] }[] = [];
  const funcTypes: number[] = []; // imported functions first, then defined ones
  const out: WasmExports = { functions: new Map(), globals: new Set(), other: new Map() };
  while (p < bytes.length) {
    const id = bytes[p++], size = u32(), end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        if (bytes[p++] !== 0x60) throw new Error("unexpected type form");
        const params: ValType[] = [], results: ValType[] = [];
        for (let k = u32(); k > 0; k--) params.push(valtype());
        for (let k = u32(); k > 0; k--) results.push(valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        name(); name();
        const kind = bytes[p++];
        if (kind === 0) funcTypes.push(u32());
        else if (kind === 1) { p++; limits(); }
        else if (kind === 2) limits();
        else if (kind === 3) { valtype(); p++; }
        else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcTypes.push(u32());
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const nm = name(), kind = bytes[p++], index = u32();
        if (kind === 0) out.functions.set(nm, types[funcTypes[index]]);
        else if (kind === 3) out.globals.add(nm);
        else out.other.set(nm, kind);
      }
    }
    p = end;
  }
  return out;
}
