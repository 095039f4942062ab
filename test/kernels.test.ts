// The hand-typed export surface (src/engine/kernels.ts, interface EngineExports) against the
// compiled engine: every declared kernel exists with its exact parameter count, returns a value
// exactly when declared `number` (void when declared void), takes only number-typed wasm values
// (i32, f32, f64: no i64, which would need BigInt, no v128); every declared global is an
// exported global; and nothing is exported that the interface does not declare. A kernel added
// without its typing, renamed, or given a parameter fails here.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { engineBytes, ENGINE_BUILD } from "./util/engine.js";
import { wasmExports, type WasmExports } from "./util/wasm-sig.js";

const KERNELS_TS = fileURLToPath(new URL("../src/engine/kernels.ts", import.meta.url));

interface Declared {
  methods: Map<string, { params: string[]; ret: string }>;
  props: Map<string, string>;
}

/** The members of every `interface EngineExports` block in the source text. */
function declared(source: string): Declared {
  const sf = ts.createSourceFile("kernels.ts", source, ts.ScriptTarget.ES2022, true);
  const out: Declared = { methods: new Map(), props: new Map() };
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === "EngineExports") {
      for (const m of node.members) {
        const nm = m.name && ts.isIdentifier(m.name) ? m.name.text : m.name?.getText(sf) ?? "?";
        if (ts.isMethodSignature(m)) {
          if (out.methods.has(nm)) throw new Error(`${nm} declared twice`);
          out.methods.set(nm, { params: m.parameters.map((p) => p.type?.getText(sf) ?? "any"), ret: m.type?.getText(sf) ?? "any" });
        } else if (ts.isPropertySignature(m)) {
          out.props.set(nm, m.type?.getText(sf) ?? "any");
        } else {
          throw new Error(`unexpected member ${m.getText(sf)}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Every disagreement between the declarations and the module, as sentences. */
function mismatches(d: Declared, w: WasmExports): string[] {
  const errors: string[] = [];
  const numeric = new Set(["i32", "f32", "f64"]);
  for (const [name, m] of d.methods) {
    const f = w.functions.get(name);
    if (!f) { errors.push(`${name}: declared, but the module exports no such function`); continue; }
    if (m.params.length !== f.params.length) errors.push(`${name}: declared with ${m.params.length} parameters, the module's takes ${f.params.length}`);
    m.params.forEach((t, i) => { if (t !== "number") errors.push(`${name}: parameter ${i} typed ${t}, kernels take numbers`); });
    f.params.forEach((t, i) => { if (!numeric.has(t)) errors.push(`${name}: wasm parameter ${i} is ${t}, not a JS number`); });
    if (f.results.length > 1) errors.push(`${name}: returns ${f.results.length} values`);
    const returns = f.results.length === 1;
    if (returns && !numeric.has(f.results[0])) errors.push(`${name}: returns ${f.results[0]}, not a JS number`);
    if (m.ret === "void" && returns) errors.push(`${name}: declared void, the module's returns ${f.results[0]}`);
    if (m.ret === "number" && !returns) errors.push(`${name}: declared to return a number, the module's returns nothing`);
    if (m.ret !== "void" && m.ret !== "number") errors.push(`${name}: return type ${m.ret}, expected void or number`);
  }
  for (const [name, type] of d.props) {
    if (type !== "WebAssembly.Global") errors.push(`${name}: property typed ${type}; only globals are properties`);
    else if (!w.globals.has(name)) errors.push(`${name}: declared a global, the module exports no such global`);
  }
  for (const name of w.functions.keys()) if (!d.methods.has(name)) errors.push(`${name}: exported function not declared in EngineExports`);
  for (const name of w.globals) if (!d.props.has(name)) errors.push(`${name}: exported global not declared in EngineExports`);
  for (const [name, kind] of w.other) errors.push(`${name}: unexpected export of kind ${kind} (the engine exports functions and constants only)`);
  return errors;
}

describe(`EngineExports matches the compiled ${ENGINE_BUILD} engine`, () => {
  const source = readFileSync(KERNELS_TS, "utf8");
  const wasm = wasmExports(engineBytes());

  it("every kernel: name, parameter count, return, number types; nothing undeclared exported", () => {
    const d = declared(source);
    expect(mismatches(d, wasm)).toEqual([]);
    expect(d.methods.size).toBe(wasm.functions.size);
    expect(d.methods.size).toBeGreaterThan(40);
    // the signature reader itself: known kernels read as written in assembly/
    expect(wasm.functions.get("topk_f32")).toEqual({ params: new Array(15).fill("i32"), results: [] });
    expect(wasm.functions.get("softmax_xent_backward_f32")).toEqual({ params: ["i32", "i32", "i32", "i32", "f32", "i32"], results: ["f64"] });
  });

  it("catches a missing, a mis-counted and a mis-typed declaration (the check can fail)", () => {
    const drop = source.replace(/\n\s*sum_f32\(n: number, x: number\): number;/, "");
    expect(mismatches(declared(drop), wasm)).toEqual(["sum_f32: exported function not declared in EngineExports"]);
    const extra = source.replace("fill_f32(n: number, x: number, value: number): void;", "fill_f32(n: number, x: number, value: number, more: number): void;");
    expect(mismatches(declared(extra), wasm)).toEqual(["fill_f32: declared with 4 parameters, the module's takes 3"]);
    const ret = source.replace("mse_forward(n: number, pred: number, target: number): number;", "mse_forward(n: number, pred: number, target: number): void;");
    expect(mismatches(declared(ret), wasm)).toEqual(["mse_forward: declared void, the module's returns f64"]);
    const ghost = source.replace("heap_base(): number;", "heap_base(): number;\n  no_such_kernel(n: number): void;");
    expect(mismatches(declared(ghost), wasm)).toEqual(["no_such_kernel: declared, but the module exports no such function"]);
  });
});
