// f64 reference GRU, forward and backward through time, written for clarity (plain loops,
// one formula per line). The `reset_after` form of PyTorch torch.nn.GRU / Keras GRU(reset_after=True):
//   z  = σ(x·Wz + bz + h·Uz + bz')
//   r  = σ(x·Wr + br + h·Ur + br')
//   n  = act(x·Wn + bn + r ⊙ (h·Un + bn'))
//   h' = (1 − z) ⊙ n + z ⊙ h
// Layouts as in assembly/gru.ts: x (B,T,I), wx (I,3H) = [Wz|Wr|Wn], wh (H,3H) = [Uz|Ur|Un],
// bx (3H), bh (3H), h0 (B,H) or null for zeros, hs (B,T,H). act: 1 relu, 2 tanh.

export interface GruDims {
  B: number;
  T: number;
  I: number;
  H: number;
}

export interface GruParams {
  wx: ArrayLike<number>;
  wh: ArrayLike<number>;
  bx: ArrayLike<number>;
  bh: ArrayLike<number>;
}

export interface GruForward {
  /** Hidden state after every step, (B,T,H). */
  hs: Float64Array;
  /** Gates per (b,t): z, r, n, hn = h·Un + bn', and the candidate's pre-activation an; each (B,T,H). */
  z: Float64Array;
  r: Float64Array;
  n: Float64Array;
  hn: Float64Array;
  an: Float64Array;
}

export interface GruGrads {
  dx: Float64Array;
  dwx: Float64Array;
  dwh: Float64Array;
  dbx: Float64Array;
  dbh: Float64Array;
  dh0: Float64Array;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const act = (v: number, code: number): number => (code === 1 ? Math.max(0, v) : Math.tanh(v));
/** act'(an) written in terms of n = act(an). */
const dact = (n: number, code: number): number => (code === 1 ? (n > 0 ? 1 : 0) : 1 - n * n);

export function gruForwardRef(d: GruDims, x: ArrayLike<number>, p: GruParams, h0: ArrayLike<number> | null, actCode: number): GruForward {
  const { B, T, I, H } = d;
  const G = 3 * H;
  const size = B * T * H;
  const out: GruForward = {
    hs: new Float64Array(size), z: new Float64Array(size), r: new Float64Array(size),
    n: new Float64Array(size), hn: new Float64Array(size), an: new Float64Array(size),
  };
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(H);
    if (h0) for (let j = 0; j < H; j++) h[j] = h0[b * H + j];
    for (let t = 0; t < T; t++) {
      const xrow = (b * T + t) * I;
      const hNew = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        // the three gates' input and hidden projections for unit j
        const xp = [p.bx[j], p.bx[H + j], p.bx[2 * H + j]];
        const hp = [p.bh[j], p.bh[H + j], p.bh[2 * H + j]];
        for (let i = 0; i < I; i++) for (let g = 0; g < 3; g++) xp[g] += x[xrow + i] * p.wx[i * G + g * H + j];
        for (let k = 0; k < H; k++) for (let g = 0; g < 3; g++) hp[g] += h[k] * p.wh[k * G + g * H + j];
        const z = sigmoid(xp[0] + hp[0]);
        const r = sigmoid(xp[1] + hp[1]);
        const an = xp[2] + r * hp[2];
        const n = act(an, actCode);
        hNew[j] = (1 - z) * n + z * h[j];
        const o = (b * T + t) * H + j;
        out.z[o] = z; out.r[o] = r; out.n[o] = n; out.hn[o] = hp[2]; out.an[o] = an; out.hs[o] = hNew[j];
      }
      h = hNew;
    }
  }
  return out;
}

/** Gradients of a loss L given dhs = ∂L/∂hs (B,T,H), by backpropagation through time. */
export function gruBackwardRef(d: GruDims, x: ArrayLike<number>, p: GruParams, h0: ArrayLike<number> | null,
                               fwd: GruForward, dhs: ArrayLike<number>, actCode: number): GruGrads {
  const { B, T, I, H } = d;
  const G = 3 * H;
  const g: GruGrads = {
    dx: new Float64Array(B * T * I), dwx: new Float64Array(I * G), dwh: new Float64Array(H * G),
    dbx: new Float64Array(G), dbh: new Float64Array(G), dh0: new Float64Array(B * H),
  };
  for (let b = 0; b < B; b++) {
    let dhNext = new Float64Array(H); // ∂L/∂h_t arriving from step t+1
    for (let t = T - 1; t >= 0; t--) {
      const hPrev = (k: number): number =>
        t > 0 ? fwd.hs[(b * T + t - 1) * H + k] : h0 ? h0[b * H + k] : 0;
      const dhPrev = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const o = (b * T + t) * H + j;
        const z = fwd.z[o], r = fwd.r[o], n = fwd.n[o], hn = fwd.hn[o];
        const dh = dhs[o] + dhNext[j];
        // h' = (1 − z)·n + z·h
        const dz = dh * (hPrev(j) - n);
        const dn = dh * (1 - z);
        dhPrev[j] += dh * z;
        // n = act(an), an = xn + bn + r·hn
        const dan = dn * dact(n, actCode);
        const dr = dan * hn;
        const dhn = dan * r;
        // z = σ(az), r = σ(ar)
        const daz = dz * z * (1 - z);
        const dar = dr * r * (1 - r);
        // input side: XP = [az, ar, an − r·hn] pre-bias
        const dxp = [daz, dar, dan];
        // hidden side: HP = [az, ar, hn] contributions
        const dhp = [daz, dar, dhn];
        for (let gi = 0; gi < 3; gi++) {
          const col = gi * H + j;
          g.dbx[col] += dxp[gi];
          g.dbh[col] += dhp[gi];
          for (let i = 0; i < I; i++) {
            g.dwx[i * G + col] += x[(b * T + t) * I + i] * dxp[gi];
            g.dx[(b * T + t) * I + i] += p.wx[i * G + col] * dxp[gi];
          }
          for (let k = 0; k < H; k++) {
            g.dwh[k * G + col] += hPrev(k) * dhp[gi];
            dhPrev[k] += p.wh[k * G + col] * dhp[gi];
          }
        }
      }
      dhNext = dhPrev;
    }
    for (let k = 0; k < H; k++) g.dh0[b * H + k] = dhNext[k];
  }
  return g;
}
