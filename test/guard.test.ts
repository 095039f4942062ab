// The divergence guard (src/agent/guard.ts) on its own: healthy episodes pass; NaN and
// infinities in losses, Q or any arena, runaway weights, and critic-loss or Q explosion
// beyond the stated limits stop training with the likely cause; an exception inside an
// episode is explained when the parameters ran away and passed on unchanged otherwise.
// And on a real agent: a critic learning rate of 1e12 is caught within a few episodes, a
// sound one never. Issue 11, defect 6.
import { describe, expect, it } from "vitest";
import { DivergenceError, DivergenceGuard, LOSS_FACTOR, PARAM_LIMIT, Q_FACTOR, agentParams, type GuardMetrics } from "../src/agent/guard.js";
import { MemoryPlan } from "../src/engine/plan.js";
import { DdpgAgent, LISTWISE_NETWORKS } from "../src/agent/ddpg.js";
import { Trainer } from "../src/agent/train.js";
import { ListenerEnv } from "../src/rl/listener-env.js";
import { ListenerModel } from "../src/data/synth.js";
import { Rng } from "../src/rng.js";
import { loadEngine } from "./util/engine.js";

const m = (o: Partial<GuardMetrics> = {}): GuardMetrics => ({ episode: 1, steps: 4, reward: 2, meanQ: 0.5, criticLoss: 0.3, updates: 4, ...o });

function params() {
  return [
    { name: "actor", arenas: { value: new Float32Array(10).fill(0.1), m: new Float32Array(10), v: new Float32Array(10), target: new Float32Array(10) } },
    { name: "critic", arenas: { value: new Float32Array(7).fill(-0.2), m: new Float32Array(7), v: new Float32Array(7), target: new Float32Array(7) } },
  ];
}

function thrown(f: () => void): DivergenceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DivergenceError);
    return e as DivergenceError;
  }
  throw new Error("expected a DivergenceError");
}

describe("DivergenceGuard", () => {
  it("passes healthy episodes, and episodes before the first update (NaN loss and Q)", () => {
    const g = new DivergenceGuard(params(), { gamma: 0, criticLr: 1e-3, actorLr: 1e-3 });
    g.check(m());
    g.check(m({ updates: 0, meanQ: NaN, criticLoss: NaN }));
    expect(g.runaway()).toEqual([]);
  });

  it("states its limits: R = r / (1 − γ) from the largest reward per step seen, loss 10⁴ (1 + R²), |Q| 100 (1 + R)", () => {
    const g = new DivergenceGuard(params(), { gamma: 0.5 });
    expect(g.maxReturn).toBe(2); // r at least 1
    g.check(m({ reward: 12, steps: 4 })); // r = 3
    expect(g.maxReturn).toBe(6);
    expect(g.limits).toEqual({ loss: LOSS_FACTOR * 37, q: Q_FACTOR * 7 });
    expect(new DivergenceGuard(params(), { gamma: 1 }).limits.loss).toBe(Infinity);
  });

  it("stops on critic-loss or Q explosion, naming the critic's learning rate (and γ when it bootstraps)", () => {
    const g = new DivergenceGuard(params(), { gamma: 0, criticLr: 1e12, actorLr: 1e-3, out: "m.encore" });
    const e = thrown(() => g.check(m({ episode: 7, criticLoss: 4.4e20 })));
    expect(e.message).toBe("training diverged in episode 7: critic loss 4.4e+20 above the limit 2.0e+4 (10⁴ · (1 + R²), R = 1.0, the largest return a list can earn); likely cause: the critic's learning rate 1e+12 (--critic-lr) is too high. Training stopped; nothing was written to m.encore (a file already there is untouched)");
    expect(e).toMatchObject({ episode: 7, likely: "critic" });
    g.saved(5);
    expect(thrown(() => g.check(m({ meanQ: -1e4 }))).message).toMatch(/mean Q -1\.0e\+4 beyond ±2\.0e\+2 .*m\.encore keeps the last good checkpoint \(episode 5\)$/);
    const b = new DivergenceGuard(params(), { gamma: 0.99, criticLr: 1e-3 });
    expect(thrown(() => b.check(m({ criticLoss: Infinity }))).message).toMatch(/critic loss Infinity; likely cause: the critic's learning rate 0\.001 \(--critic-lr\) is too high, or bootstrapping with γ = 0\.99 diverges \(--gamma 0/);
    expect(() => b.check(m({ criticLoss: NaN }))).toThrow(/critic loss NaN/);
    expect(() => b.check(m({ meanQ: NaN }))).toThrow(/mean Q NaN/);
  });

  it("stops on NaN or infinity in any arena and on runaway weights, blaming the network that holds them", () => {
    for (const [group, arena, value, likely] of [
      ["actor", "v", Infinity, "actor"], ["critic", "m", NaN, "critic"], ["critic", "value", 2 * PARAM_LIMIT, "critic"], ["actor", "target", -Infinity, "actor"],
    ] as const) {
      const p = params();
      (p.find((x) => x.name === group)!.arenas as Record<string, Float32Array>)[arena][3] = value;
      const e = thrown(() => new DivergenceGuard(p, { gamma: 0, actorLr: 1e30, criticLr: 1e30 }).check(m()));
      expect(e.likely, `${group} ${arena}`).toBe(likely);
      expect(e.message).toContain(`${group} ${arena}: 1 `);
    }
    const p = params();
    p[0].arenas.value[0] = NaN;
    p[1].arenas.v[0] = Infinity;
    expect(thrown(() => new DivergenceGuard(p, { gamma: 0, actorLr: 1, criticLr: 2 }).check(m())).message).toMatch(/likely cause: the learning rates \(actor 1, critic 2\) are too high/);
    const q = params();
    q[0].arenas.m[0] = 3e38; // large but finite moments are fine
    new DivergenceGuard(q, { gamma: 0 }).check(m());
  });

  it("explains an exception inside an episode when the weights ran away, and passes it on otherwise", () => {
    const p = params();
    const g = new DivergenceGuard(p, { gamma: 0, actorLr: 1e12 });
    const boom = () => { throw new Error("DDPG: no track left for slot 0 of state 0 (every score NaN or excluded)"); };
    expect(() => g.run(3, boom)).toThrow(/^DDPG: no track left/);
    p[0].arenas.value[1] = 1e20;
    const e = thrown(() => g.run(3, boom));
    expect(e.message).toMatch(/^training diverged in episode 3: the parameters ran away \(actor value: 1 non-finite or beyond ±1\.0e\+6\), and the episode failed: DDPG: no track left .* likely cause: the actor's learning rate 1e\+12 \(--actor-lr\) is too high/);
    expect(new DivergenceGuard(params(), { gamma: 0 }).run(1, () => m({ episode: 1 }))).toEqual(m());
  });
});

describe("the guard on a training agent", () => {
  async function trainWith(criticLr: number, episodes: number): Promise<{ error?: DivergenceError; done: number }> {
    const model = new ListenerModel({ numTracks: 300, seed: 4 });
    const d = model.latentDim;
    const plan = new MemoryPlan();
    const catalog = plan.f32("catalog", "data", model.numTracks * d);
    const agent = new DdpgAgent(plan, { region: catalog, V: model.numTracks, d }, { ...LISTWISE_NETWORKS, sources: [], gamma: 0, batch: 16, criticLr, actorLr: 1e-3 }, { maxActBatch: 16 });
    await loadEngine(plan);
    catalog.f32().set(model.latents.map((x) => x / Math.sqrt(d)));
    agent.initialize(new Rng(1));
    const env = new ListenerEnv(model, { steps: 4 });
    const trainer = new Trainer(agent, env, { seed: 1, maxSteps: 4, noise: { kind: "gaussian", sigma: 1, sigmaMin: 1, decay: 1 } });
    const guard = new DivergenceGuard(agentParams(agent), { gamma: 0, criticLr, actorLr: 1e-3 });
    let done = 0;
    try {
      for (let e = 0; e < episodes; e++) {
        guard.run(e + 1, () => trainer.runEpisode());
        done++;
      }
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      return { error: e, done };
    }
    return { done };
  }

  it("catches a critic learning rate of 1e12 within a few episodes, and lets a sound one train", async () => {
    const bad = await trainWith(1e12, 100);
    expect(bad.error?.likely).toBe("critic");
    expect(bad.done).toBeLessThan(20);
    const good = await trainWith(1e-3, 60);
    expect(good).toEqual({ done: 60 });
  });
});
