// f64 reference MLP: the dense reference layers in sequence, MSE loss, Adam (and clipping)
// over all parameters. Written for clarity; used to check src/nn (Mlp + Adam) step by step.
import { denseBackward, denseForward } from "./dense.js";
import { mseBackward, mseForward } from "./loss.js";
import { adamStep, clipByNorm, type AdamHyper } from "./optim.js";

export interface RefLayer {
  I: number;
  O: number;
  act: number;
  w: number[];
  b: number[];
}

export class RefMlp {
  private m: number[][];
  private v: number[][];
  t = 0;

  constructor(readonly layers: RefLayer[]) {
    this.m = this.flatParams().map((p) => p.map(() => 0));
    this.v = this.flatParams().map((p) => p.map(() => 0));
  }

  private flatParams(): number[][] {
    return this.layers.flatMap((l) => [l.w, l.b]);
  }

  /** Forward B rows; returns every layer's output (the last is the prediction). */
  forward(B: number, x: ArrayLike<number>): number[][] {
    const outs: number[][] = [];
    let inp: ArrayLike<number> = x;
    for (const l of this.layers) {
      const { out } = denseForward(B, l.I, l.O, inp, l.w, l.b, l.act);
      outs.push(out);
      inp = out;
    }
    return outs;
  }

  /** One training step on MSE: returns the loss before the update. */
  trainStep(B: number, x: ArrayLike<number>, y: ArrayLike<number>, h: AdamHyper, clipNorm = 0): number {
    const outs = this.forward(B, x);
    const pred = outs[outs.length - 1];
    const loss = mseForward(pred, y);
    let dout: ArrayLike<number> = mseBackward(pred, y);
    const grads: number[][] = [];
    for (let li = this.layers.length - 1; li >= 0; li--) {
      const l = this.layers[li];
      const inp = li === 0 ? x : outs[li - 1];
      const g = denseBackward(B, l.I, l.O, inp, l.w, outs[li], dout, l.act);
      grads.unshift(g.dw, g.dbias);
      dout = g.dinp;
    }
    let flat = grads.flat();
    if (clipNorm > 0) flat = clipByNorm(flat, clipNorm);
    this.t++;
    let at = 0;
    const params = this.flatParams();
    for (let p = 0; p < params.length; p++) {
      const g = flat.slice(at, at + params[p].length);
      at += params[p].length;
      adamStep(params[p], g, this.m[p], this.v[p], h, this.t);
    }
    return loss;
  }
}
