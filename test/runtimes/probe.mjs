// The runtime matrix's probe (test/runtimes.test.ts): the same computation in every JavaScript
// runtime, through the bundled library entry (encore.js, no bare imports). Recommend for fixed
// histories with a trained model, then train a fresh agent against the synthetic listener for
// a number of episodes and save it. Every number is reported as the hex of its float64 bits and
// the saved model as its SHA-256, so two runtimes agree only when they agree bit for bit.
// Plain JavaScript (no TypeScript) so that each runtime loads it as it is.

/** The hex of a number's float64 bits. */
export function bits(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  let s = "";
  for (let i = 0; i < 8; i++) s += view.getUint8(i).toString(16).padStart(2, "0");
  return s;
}

async function sha256(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * files: { wasm (bytes or a compiled WebAssembly.Module), model, embeddings, listener (synth.json
 * bytes), histories (arrays of track ids or { track, skipped }) }.
 */
export async function probe(encore, files, episodes = 50) {
  const wasm = await encore.compileEngine(files.wasm);
  const rec = await encore.createRecommender({ wasm, model: files.model, embeddings: files.embeddings });
  const recommendations = files.histories.map((h) => rec.recommend(h).map((r) => [r.trackId, bits(r.score)]));
  const trainer = await encore.createTrainer({ wasm, embeddings: files.embeddings, listener: files.listener, seed: 11 });
  for (let e = 0; e < episodes; e++) trainer.runEpisode();
  const model = trainer.saveModel();
  const trained = trainer.recommender().recommend(files.histories[0]).map((r) => [r.trackId, bits(r.score)]);
  return {
    recommendations,
    training: {
      episodes,
      modelBytes: model.byteLength,
      modelSha256: await sha256(model),
      rewards: trainer.history.map((m) => bits(m.reward)),
      criticLoss: bits(trainer.history[trainer.history.length - 1].criticLoss),
      noise: bits(trainer.history[trainer.history.length - 1].noise),
      recommendations: trained,
    },
  };
}
