// GRU forward and backward through time at the actor's shape: B 64 listeners, T 10 history
// items, I 32 embedding dims, H 32 hidden units, tanh candidate. Baseline: the plain-JS f64
// reference (test/reference/gru.ts) on the same data. GFLOP/s count the GEMM flops only.
import type { BenchCase } from "./harness.js";
import type { SimdBuild } from "../src/engine/engine.js";
import { loadEngine, maxRelErr, randomFill, perSimd, type CaseBody } from "./common.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { Rng } from "../src/rng.js";
import { gruBackwardRef, gruForwardRef, type GruDims } from "../test/reference/gru.js";

const TANH = 2;

async function casesOn(simd: SimdBuild): Promise<CaseBody[]> {
  const d: GruDims = { B: 64, T: 10, I: 32, H: 32 };
  const { B, T, I, H } = d;
  const G = 3 * H;
  const plan = new MemoryPlan();
  const x = plan.f32("bench.gru.x", "io", B * T * I);
  const wx = plan.f32("bench.gru.wx", "io", I * G);
  const wh = plan.f32("bench.gru.wh", "io", H * G);
  const bx = plan.f32("bench.gru.bx", "io", G);
  const bh = plan.f32("bench.gru.bh", "io", G);
  const hs = plan.f32("bench.gru.hs", "activation", B * T * H);
  const saved = plan.region("bench.gru.saved", "activation", (e) => 4 * e.gru_activation_floats(B, T, H));
  const dhs = plan.f32("bench.gru.dhs", "io", B * T * H);
  const dx = plan.f32("bench.gru.dx", "io", B * T * I);
  const dwx = plan.f32("bench.gru.dwx", "io", I * G);
  const dwh = plan.f32("bench.gru.dwh", "io", H * G);
  const dbx = plan.f32("bench.gru.dbx", "io", G);
  const dbh = plan.f32("bench.gru.dbh", "io", G);
  const ws = plan.region("bench.gru.ws", "scratch", (e) => e.gru_workspace_bytes(B, T, I, H));
  const engine = await loadEngine(plan, { simd });
  const k = engine.x;
  const rng = new Rng(7);
  randomFill(x.f32(), rng);
  randomFill(wx.f32(), rng, Math.sqrt(3 / I));
  randomFill(wh.f32(), rng, Math.sqrt(3 / H));
  randomFill(bx.f32(), rng, 0.5);
  randomFill(bh.f32(), rng, 0.5);
  // the actor's loss reaches only h_T
  dhs.f32().fill(0);
  for (let b = 0; b < B; b++) randomFill(dhs.f32().subarray((b * T + T - 1) * H, (b * T + T) * H), rng);

  const forward = () => {
    k.gru_forward(B, T, I, H, x.ptr, wx.ptr, wh.ptr, bx.ptr, bh.ptr, 0, hs.ptr, saved.ptr, TANH, ws.ptr);
  };
  const backward = () => {
    k.gru_backward(B, T, I, H, x.ptr, wx.ptr, wh.ptr, 0, hs.ptr, saved.ptr, dhs.ptr, dx.ptr, dwx.ptr, dwh.ptr,
      dbx.ptr, dbh.ptr, 0, TANH, ws.ptr);
  };
  const p = { wx: wx.f32(), wh: wh.f32(), bx: bx.f32(), bh: bh.f32() };
  const refFwd = () => gruForwardRef(d, x.f32(), p, null, TANH);
  const fwdRef = refFwd();
  const refBwd = () => gruBackwardRef(d, x.f32(), p, null, fwdRef, dhs.f32(), TANH);
  const fwdFlops = 2 * B * T * (I + H) * G;
  const bwdFlops = 2 * fwdFlops; // dx and dwx over I, dh and dwh over H

  return [
    {
      name: `gru_forward B${B} T${T} I${I} H${H} tanh`,
      subject: { label: "wasm simd", fn: forward },
      baseline: { label: "plain JS f64 reference", fn: () => void refFwd() },
      flops: fwdFlops,
      validate: () => {
        forward();
        const err = maxRelErr(hs.f32(), fwdRef.hs);
        if (!(err < 1e-4)) throw new Error(`hs max relative error ${err}`);
      },
    },
    {
      name: `gru_backward B${B} T${T} I${I} H${H} tanh`,
      subject: { label: "wasm simd", fn: backward },
      baseline: { label: "plain JS f64 reference", fn: () => void refBwd() },
      flops: bwdFlops,
      validate: () => {
        forward();
        for (const r of [dwx, dwh, dbx, dbh]) r.f32().fill(0);
        backward();
        const g = refBwd();
        for (const [name, got, ref] of [["dx", dx, g.dx], ["dwx", dwx, g.dwx], ["dwh", dwh, g.dwh], ["dbx", dbx, g.dbx], ["dbh", dbh, g.dbh]] as const) {
          const err = maxRelErr(got.f32(), ref);
          if (!(err < 1e-3)) throw new Error(`${name} max relative error ${err}`);
        }
      },
    },
  ];
}

export function cases(): Promise<BenchCase[]> {
  return perSimd(casesOn);
}
