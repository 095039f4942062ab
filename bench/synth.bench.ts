// Synthetic MSSD generator throughput: sessions simulated and formatted as log CSV text, beside the
// simulation alone (the baseline shows what the text costs), and the catalog build.
import { type BenchCase } from "./harness.js";
import { noEngine, type CaseBody } from "./common.js";
import { ListenerModel } from "../src/data/synth.js";
import { LOG_HEADER, SessionSimulator, logCsvChunks } from "../src/data/synth-log.js";

const SESSIONS = 1000;

async function engineFree(): Promise<CaseBody[]> {
  const model = new ListenerModel(); // the default catalog: 10,000 tracks
  let text = "";
  const generate = (): void => {
    text = "";
    for (const chunk of logCsvChunks(model, { numSessions: SESSIONS })) text += chunk;
  };
  let skips = 0;
  const simulate = (): void => {
    const sim = new SessionSimulator(model, { numSessions: SESSIONS });
    skips = 0;
    for (let i = 0; i < SESSIONS; i++) {
      const s = sim.simulate(i);
      for (let p = 0; p < s.length; p++) skips += s.skip2[p];
    }
  };
  let built: ListenerModel | null = null; // kept so the build is not optimised away
  return [
    {
      name: `synth log ${SESSIONS} sessions (10k-track catalog)`,
      subject: { label: "simulate + CSV text", fn: generate },
      baseline: { label: "simulate only", fn: simulate },
      validate: () => {
        generate();
        if (!text.startsWith(LOG_HEADER)) throw new Error("log text does not start with the header");
        const rows = text.split("\n").length - 2;
        if (rows < SESSIONS * 10 || rows > SESSIONS * 20) throw new Error(`unexpected row count ${rows}`);
        let skipped = 0;
        for (const line of text.split("\n").slice(1, -1)) if (line.split(",")[5] === "True") skipped++;
        if (!(skipped / rows > 0.45 && skipped / rows < 0.59)) throw new Error(`skip_2 rate ${skipped / rows} off calibration`);
      },
      extra: (ms) => ({ sessions_per_s: Math.round((SESSIONS / ms) * 1000), mb_per_s: Math.round((text.length / 1e6 / ms) * 1000 * 10) / 10 }),
    },
    {
      name: "synth catalog 10000 tracks",
      subject: { label: "ListenerModel build", fn: () => { built = new ListenerModel({ seed: 1 }); } },
      extra: () => ({ tracks: built?.numTracks ?? 0 }),
      validate: () => {
        const m = new ListenerModel({ seed: 1 });
        if (m.numTracks !== 10_000 || new Set(m.trackIds).size !== 10_000) throw new Error("catalog size or duplicate ids");
      },
    },
  ];
}

export async function cases(): Promise<BenchCase[]> {
  return noEngine(await engineFree());
}
