// The demo page's Web Worker: loads the same engine, model and embeddings as the page, answers
// recommendations, and trains a small model against the synthetic listener, posting each
// episode's metrics so the page can draw the curve while it stays responsive, and measures the
// random and popular policies on the same listener for the curve's reference lines. Uses the
// library entry (src/index.ts), and the CLI's own baselines and online protocol for the
// references (./references.ts).
import { compileEngine, createRecommender, createTrainer, loadEmbeddings, type BrowserTrainer, type Recommender } from "../index.js";
import { listenerReferences, type ReferenceListener } from "./references.js";
import type { LoadedEmbeddings } from "../embed/format.js";
import type { FileRef, Reply, Request, TrainResult } from "./protocol.js";

interface WorkerScope {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(message: Reply, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let wasm: WebAssembly.Module | null = null;
let embeddings: LoadedEmbeddings | null = null;
let listener: Extract<Request, { type: "init" }>["listener"] = null;
let recommender: Recommender | null = null;
let trainer: BrowserTrainer | null = null;
let stop: AbortController | null = null;

const bytesOf = (f: FileRef): string | Uint8Array => (typeof f === "string" ? f : new Uint8Array(f));

async function handle(req: Request): Promise<{ result: unknown; transfer?: Transferable[] }> {
  switch (req.type) {
    case "init": {
      wasm = await compileEngine(req.wasm);
      embeddings = await loadEmbeddings(bytesOf(req.embeddings));
      recommender = await createRecommender({ wasm, model: bytesOf(req.model), embeddings });
      listener = req.listener;
      trainer = null;
      return { result: { N: recommender.N, K: recommender.K, catalogSize: recommender.catalogSize } };
    }
    case "recommend": {
      const rec = req.source === "trained" ? trainer?.recommender() : recommender;
      if (!rec) throw new Error(req.source === "trained" ? "no model has been trained yet" : "the worker is not initialised");
      return { result: rec.recommend(req.history) };
    }
    case "train": {
      if (!wasm || !embeddings) throw new Error("the worker is not initialised");
      if (!listener) throw new Error("training needs the synthetic listener (synth.json from 'encore demo')");
      if (stop) throw new Error("a training run is already going");
      trainer = await createTrainer({ wasm, embeddings, listener, seed: req.seed, config: { batch: req.batch } });
      stop = new AbortController();
      try {
        let last = performance.now();
        const done = await trainer.run(req.episodes, (metrics) => {
          const now = performance.now();
          scope.postMessage({ id: req.id, type: "episode", metrics, episodes: req.episodes, ms: now - last });
          last = now;
        }, stop.signal);
        const bytes = trainer.saveModel({ command: "encore demo page", created: new Date().toISOString() });
        const model = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        const result: TrainResult = { episodes: done.length, stopped: done.length < req.episodes, model };
        return { result, transfer: [model] };
      } finally {
        stop = null;
      }
    }
    case "references": {
      if (!embeddings || !recommender) throw new Error("the worker is not initialised");
      if (!listener) throw new Error("references need the synthetic listener (synth.json from 'encore demo')");
      return { result: listenerReferences(listener as ReferenceListener, embeddings.vocab!.ids(), { N: recommender.N, K: recommender.K, steps: req.steps, episodes: req.episodes }) };
    }
    case "stop":
      stop?.abort();
      return { result: stop !== null };
  }
}

scope.onmessage = (e) => {
  const req = e.data;
  handle(req).then(
    ({ result, transfer }) => scope.postMessage({ id: req.id, type: "reply", result }, transfer ?? []),
    (err: unknown) => scope.postMessage({ id: req.id, type: "error", message: err instanceof Error ? err.message : String(err) }),
  );
};
