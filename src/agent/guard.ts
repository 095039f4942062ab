// The divergence guard of training: after every episode it checks the episode's losses and
// mean Q and every parameter arena (weights, Adam moments, target weights) for NaN and
// infinities, and the critic's loss and Q for explosion; when training has diverged it throws
// a DivergenceError naming the likely cause (a learning rate, or bootstrapping with γ > 0),
// so the caller stops before writing anything: the model file keeps the last good checkpoint.
//
// Parameters: weights and target weights must stay within ±PARAM_LIMIT (10⁶; healthy weights
// here stay within ±10, and beyond 10⁶ two layers of products already overflow f32 to
// infinity, which is how a too-large actor learning rate shows: finite weights, NaN scores);
// Adam's moments must be finite.
//
// Thresholds. With rewards of at most r per step, a list can earn at most R = r / (1 − γ)
// (R = r with γ = 0), so a critic whose predictions stay within ±R has a TD loss of at most
// (2R)². The guard stops when
//   critic loss > LOSS_FACTOR · (1 + R²)        (10⁴: 2,500 times the largest sound loss)
//   |mean Q|    > Q_FACTOR · (1 + R)            (100)
// with r the largest mean reward per step seen so far (at least 1). Either means the critic is
// running away, not learning; NaN or ±Infinity anywhere means it already has.
// An exception thrown inside an episode (e.g. top-k finding every score NaN) is explained the
// same way when the parameters are no longer finite, and passed on unchanged otherwise.
//
// No `node:` imports: it guards training in browsers and Workers too.

export const LOSS_FACTOR = 1e4;
export const Q_FACTOR = 100;
export const PARAM_LIMIT = 1e6;

/** What the guard reads of an episode (src/eval/types.ts EpisodeMetrics has these). */
export interface GuardMetrics {
  episode: number;
  steps: number;
  reward: number;
  meanQ: number;
  criticLoss: number;
  /** Updates in the episode; losses and Q are NaN when 0 and then not checked. */
  updates: number;
}

/** A parameter group's arenas: e.g. { name: "critic", arenas: { value, m, v, target } }. */
export interface GuardedParams {
  name: string;
  arenas: Record<string, Float32Array>;
}

export interface GuardOptions {
  /** Discount γ of the TD target. */
  gamma: number;
  /** The learning rates, named in the likely cause. */
  actorLr?: number;
  criticLr?: number;
  /** The file training writes its checkpoints to (named in the message). */
  out?: string;
  /** Episodes the file already holds when training starts (a resumed run), else undefined. */
  resumedAt?: number;
}

export type DivergenceCause = "critic" | "actor" | "both" | "unknown";

export class DivergenceError extends Error {
  override readonly name = "DivergenceError";
  constructor(
    message: string,
    /** The episode in which divergence was found (1-based). */
    readonly episode: number,
    /** Which network's learning is the likely cause. */
    readonly likely: DivergenceCause,
  ) {
    super(message);
  }
}

/** Whether every value is finite: x · 0 is 0 for finite x and NaN for NaN and ±Infinity. */
function allFinite(a: Float32Array): boolean {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * 0;
  return s === 0;
}

/** Whether every value is within ±limit (NaN is not). */
function allWithin(a: Float32Array, limit: number): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (!(x <= limit && x >= -limit)) return false;
  }
  return true;
}

function countBeyond(a: Float32Array, limit: number): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]) <= limit)) n++;
  return n;
}

function countNonFinite(a: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) n++;
  return n;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(2) : String(x);
}

/** A hyperparameter as typed: 0.001, 1e+12. */
function hyper(x: number): string {
  return x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-4) ? x.toExponential() : String(x);
}

export class DivergenceGuard {
  private rMax = 1;
  private savedAt: number | undefined;

  constructor(private readonly params: GuardedParams[], private readonly o: GuardOptions) {
    this.savedAt = o.resumedAt;
  }

  /** R: the largest return a list can earn, from the rewards seen so far (Infinity when γ ≥ 1). */
  get maxReturn(): number {
    return this.o.gamma >= 1 ? Infinity : this.rMax / (1 - this.o.gamma);
  }

  /** The current thresholds on the critic loss and on |mean Q|. */
  get limits(): { loss: number; q: number } {
    const R = this.maxReturn;
    return { loss: LOSS_FACTOR * (1 + R * R), q: Q_FACTOR * (1 + R) };
  }

  /** The checkpoint file now holds episode `episode` (it passed the guard). */
  saved(episode: number): void {
    this.savedAt = episode;
  }

  /** Run episode `n` (1-based) under the guard: its exceptions are explained, its metrics checked. */
  run<T extends GuardMetrics>(n: number, episode: () => T): T {
    let m: T;
    try {
      m = episode();
    } catch (e) {
      const bad = this.runaway();
      if (bad.length === 0) throw e;
      throw this.error(n, `the parameters ran away (${this.describe(bad)}), and the episode failed: ${(e as Error).message}`, bad);
    }
    this.check(m);
    return m;
  }

  /** Check an episode's metrics and the parameters; throws DivergenceError on divergence. */
  check(m: GuardMetrics): void {
    if (m.steps > 0 && Number.isFinite(m.reward)) this.rMax = Math.max(this.rMax, Math.abs(m.reward) / m.steps);
    const bad = this.runaway();
    if (bad.length > 0) throw this.error(m.episode, `the parameters ran away (${this.describe(bad)})`, bad);
    if (m.updates > 0) {
      const { loss, q } = this.limits;
      const R = `R = ${fmt(this.maxReturn)}, the largest return a list can earn`;
      if (!Number.isFinite(m.criticLoss)) throw this.error(m.episode, `critic loss ${m.criticLoss}`, bad);
      if (!Number.isFinite(m.meanQ)) throw this.error(m.episode, `mean Q ${m.meanQ}`, bad);
      if (m.criticLoss > loss) throw this.error(m.episode, `critic loss ${fmt(m.criticLoss)} above the limit ${fmt(loss)} (10⁴ · (1 + R²), ${R})`, bad);
      if (Math.abs(m.meanQ) > q) throw this.error(m.episode, `mean Q ${fmt(m.meanQ)} beyond ±${fmt(q)} (100 · (1 + R), ${R})`, bad);
    }
  }

  /** Arenas holding NaN or ±Infinity, or weights beyond ±PARAM_LIMIT, with how many such values. */
  runaway(): { group: string; arena: string; count: number; what: string }[] {
    const out: { group: string; arena: string; count: number; what: string }[] = [];
    for (const g of this.params) {
      for (const [arena, a] of Object.entries(g.arenas)) {
        const weights = arena === "value" || arena === "target";
        if (weights ? !allWithin(a, PARAM_LIMIT) : !allFinite(a)) {
          out.push({ group: g.name, arena, count: weights ? countBeyond(a, PARAM_LIMIT) : countNonFinite(a), what: weights ? `non-finite or beyond ±${fmt(PARAM_LIMIT)}` : "non-finite" });
        }
      }
    }
    return out;
  }

  private describe(bad: { group: string; arena: string; count: number; what: string }[]): string {
    return bad.map((b) => `${b.group} ${b.arena}: ${b.count} ${b.what}`).join(", ");
  }

  private error(episode: number, what: string, bad: { group: string }[]): DivergenceError {
    const actor = bad.some((b) => /actor/.test(b.group)), critic = bad.some((b) => /critic/.test(b.group));
    const { actorLr, criticLr, gamma } = this.o;
    // both broken: the actor follows the critic's gradient, so a critic that blew up takes the
    // actor with it; when one learning rate is a hundred times the other, that one is the cause
    const both: DivergenceCause = actorLr !== undefined && criticLr !== undefined ? (criticLr >= 100 * actorLr ? "critic" : actorLr >= 100 * criticLr ? "actor" : "both") : "both";
    const likely: DivergenceCause = bad.length === 0 ? "critic" : actor && critic ? both : actor ? "actor" : critic ? "critic" : "unknown";
    const bootstrap = gamma > 0 ? `, or bootstrapping with γ = ${gamma} diverges (--gamma 0 learns each list's own reward)` : "";
    const cause = likely === "critic" ? `the critic's learning rate${criticLr !== undefined ? ` ${hyper(criticLr)}` : ""} (--critic-lr) is too high${bootstrap}`
      : likely === "actor" ? `the actor's learning rate${actorLr !== undefined ? ` ${hyper(actorLr)}` : ""} (--actor-lr) is too high`
        : likely === "both" ? `the learning rates${actorLr !== undefined && criticLr !== undefined ? ` (actor ${hyper(actorLr)}, critic ${hyper(criticLr)})` : ""} are too high (--actor-lr, --critic-lr)${bootstrap}`
          : "a non-finite reward or embedding";
    const out = this.o.out ?? "the model file";
    const kept = this.savedAt !== undefined ? `${out} keeps the last good checkpoint (episode ${this.savedAt})` : `nothing was written to ${out} (a file already there is untouched)`;
    return new DivergenceError(`training diverged in episode ${episode}: ${what}; likely cause: ${cause}. Training stopped; ${kept}`, episode, likely);
  }
}

/** The arenas the guard checks for an agent: every parameter group (actor, critics) and the per-track bias table. */
export function agentParams(agent: { groups: readonly ArenaGroup[]; bias: { view(arena: "value" | "m" | "v" | "target"): Float32Array } | null }): GuardedParams[] {
  const out = agent.groups.map((g) => ({
    name: g.name,
    arenas: { value: g.arenaView("value"), m: g.arenaView("m"), v: g.arenaView("v"), target: g.arenaView("target") },
  }));
  const b = agent.bias;
  if (b) out.push({ name: "critic.bias", arenas: { value: b.view("value"), m: b.view("m"), v: b.view("v"), target: b.view("target") } });
  return out;
}

interface ArenaGroup {
  name: string;
  arenaView(arena: "value" | "m" | "v" | "target"): Float32Array;
}
