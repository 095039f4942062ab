// Tuning the session baselines' defaults (not a timing benchmark): fits each setting on the
// fit part of a validation split carved out of the TRAINING sessions (never the test
// sessions), and prints hit rate@3 and kept hit rate@3 on the validation part, beside popular
// and item-kNN. With --test, the chosen defaults are instead fitted on all training sessions
// and measured once on the test sessions (the final figures; no tuning on them).
//
//   npm run tune:baselines -- <dataset.bin> [--group markov|sknn|vsknn|grid|pick|defaults]
//        [--split-seed 0,1] [--val-seeds 0,1,2] [--test] [--json]
//
// Each --split-seed is a 70/30 split as the CLI makes it (splitSessions); each --val-seeds
// carves a 70/30 fit/validation cut out of that split's training sessions (validation.ts). The
// figures are means over the runs, printed beside each run's.
import { readDatasetCache } from "../src/data/cache.js";
import { splitSessions } from "../src/data/split.js";
import type { Policy } from "../src/core/policy.js";
import { ItemKnnPolicy, PopularPolicy, type TrainingSessions } from "../src/eval/baselines.js";
import { fitMarkov, fitSknn, fitVsknn, type MarkovOptions, type SessionKnnOptions } from "../src/eval/session-baselines.js";
import { nextTrackHitRates, validationSplit } from "../src/eval/validation.js";

type Maker = { label: string; make: (tr: TrainingSessions) => Policy };

const named = (label: string, make: (tr: TrainingSessions, name: string) => Policy): Maker => ({ label, make: (tr) => make(tr, label) });
const markov = (label: string, o: MarkovOptions): Maker => named(label, (tr, name) => fitMarkov(tr, { ...o, name }));
const sknn = (label: string, o: SessionKnnOptions): Maker => named(label, (tr, name) => fitSknn(tr, { ...o, name }));
const vsknn = (label: string, o: SessionKnnOptions): Maker => named(label, (tr, name) => fitVsknn(tr, { ...o, name }));

const REFERENCE: Maker[] = [
  named("popular", (tr, name) => PopularPolicy.fit(tr, { name })),
  named("item-knn", (tr, name) => ItemKnnPolicy.fit(tr, { name })),
];

function groups(): Record<string, Maker[]> {
  const m: Maker[] = [];
  for (const decay of [0.01, 0.1, 0.3, 0.5, 0.8, 1]) m.push(markov(`markov decay=${decay}`, { decay }));
  m.push(markov("markov skipped=ignore", { skipped: "ignore" }));
  for (const w of [0.5, 0]) m.push(markov(`markov skippedNextWeight=${w}`, { skippedNextWeight: w }));
  for (const w of [1, 0.5, 0.1, 0]) m.push(markov(`markov skippedStateWeight=${w}`, { skippedStateWeight: w }));
  const kn = (mk: typeof sknn, v: string): Maker[] => {
    const r: Maker[] = [];
    for (const k of [5, 10, 20, 30, 50, 100, 200, 500]) r.push(mk(`${v} k=${k}`, { k }));
    for (const sample of [0, 200, 500, 2000]) r.push(mk(`${v} sample=${sample}`, { sample }));
    r.push(mk(`${v} skipped=ignore`, { skipped: "ignore" }));
    for (const w of [0.5, 0.2, 0]) r.push(mk(`${v} skippedStateWeight=${w}`, { skippedStateWeight: w }));
    for (const w of [0.5, 0]) r.push(mk(`${v} skippedVoteWeight=${w}`, { skippedVoteWeight: w }));
    return r;
  };
  const v = kn(vsknn, "vsknn");
  for (const positionWeight of ["same", "quadratic"] as const) v.push(vsknn(`vsknn positionWeight=${positionWeight}`, { positionWeight }));
  for (const matchDecay of ["none", "quadratic"] as const) v.push(vsknn(`vsknn matchDecay=${matchDecay}`, { matchDecay }));
  const grid: Maker[] = [];
  for (const k of [10, 20, 50]) {
    for (const positionWeight of ["linear", "quadratic"] as const) {
      for (const matchDecay of ["div", "quadratic"] as const) grid.push(vsknn(`vsknn k=${k} ${positionWeight} ${matchDecay}`, { k, positionWeight, matchDecay }));
    }
    grid.push(sknn(`sknn k=${k}`, { k }));
  }
  const pick: Maker[] = [];
  for (const k of [20, 30]) {
    for (const sample of [0, 1000, 2000]) {
      pick.push(sknn(`sknn k=${k} sample=${sample}`, { k, sample }));
      pick.push(vsknn(`vsknn k=${k} sample=${sample}`, { k, sample }));
    }
  }
  return {
    grid,
    pick,
    markov: m,
    sknn: kn(sknn, "sknn"),
    vsknn: v,
    defaults: [markov("markov", {}), sknn("sknn", {}), vsknn("vsknn", {})],
  };
}

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  const path = argv[0];
  if (!path || path.startsWith("--")) throw new Error("usage: npm run tune:baselines -- <dataset.bin> [--group markov|sknn|vsknn|grid|pick|defaults] [--split-seed 0,1] [--val-seeds 0,1,2] [--test] [--json]");
  const group = arg("--group", "defaults"), test = argv.includes("--test"), json = argv.includes("--json");
  const splitSeeds = arg("--split-seed", "0").split(",").map(Number);
  const valSeeds = arg("--val-seeds", "0,1").split(",").map(Number);
  const chosen = groups()[group];
  if (!chosen) throw new Error(`unknown --group ${group} (markov, sknn, vsknn, grid, pick, defaults)`);
  const makers = [...REFERENCE, ...chosen];
  const { dataset: ds } = readDatasetCache(path);
  // label -> per run [hit, kept]
  const rows = new Map<string, { hit: number[]; kept: number[]; fitMs: number }>();
  const runs: string[] = [];
  for (const splitSeed of splitSeeds) {
    const sp = splitSessions(ds.sessionCount, { trainFraction: 0.7, seed: splitSeed });
    const cuts = test ? [{ fit: sp.train, validation: sp.test, label: `split ${splitSeed} test` }]
      : valSeeds.map((vs) => ({ ...validationSplit(sp.train, { seed: vs }), label: `split ${splitSeed} val ${vs}` }));
    for (const cut of cuts) {
      const tr: TrainingSessions = { V: ds.trackCount, sessionOffsets: ds.sessionOffsets, tracks: ds.tracks, flags: ds.flags, sessions: cut.fit };
      const policies: Policy[] = [];
      for (const mk of makers) {
        const t0 = performance.now();
        policies.push(mk.make(tr));
        const r = rows.get(mk.label) ?? { hit: [], kept: [], fitMs: 0 };
        r.fitMs += performance.now() - t0;
        rows.set(mk.label, r);
      }
      const res = nextTrackHitRates(ds, cut.validation, policies);
      const any = res.values().next().value!;
      runs.push(`${cut.label} (fit ${cut.fit.length} sessions, ${any.sessions} evaluated, ${any.states} states)`);
      for (const mk of makers) {
        const h = res.get(mk.label)!;
        rows.get(mk.label)!.hit.push(h.hit);
        rows.get(mk.label)!.kept.push(h.keptHit);
      }
    }
  }
  const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
  if (json) {
    process.stdout.write(JSON.stringify({ dataset: path, runs, rows: Object.fromEntries(rows) }, null, 2) + "\n");
    return;
  }
  console.log(`${path}: ${ds.sessionCount} sessions, ${ds.trackCount} tracks`);
  for (const r of runs) console.log(`  ${r}`);
  console.log(`${"setting".padEnd(34)} ${"hit@3".padStart(7)} ${"kept@3".padStart(7)}   per run (hit/kept)`);
  for (const [label, r] of rows) {
    const per = r.hit.map((h, i) => `${h.toFixed(4)}/${r.kept[i].toFixed(4)}`).join(" ");
    console.log(`${label.padEnd(34)} ${mean(r.hit).toFixed(4).padStart(7)} ${mean(r.kept).toFixed(4).padStart(7)}   ${per}`);
  }
}

main();
