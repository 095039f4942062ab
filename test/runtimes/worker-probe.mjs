// The probe in Cloudflare workerd (through miniflare): the engine arrives as a compiled
// WebAssembly.Module binding (an import of a .wasm module: workerd refuses to compile wasm
// from bytes), the model, embeddings, listener and histories as Data modules (ArrayBuffers).
// GET / runs the probe and answers its JSON.
import * as encore from "./encore.js";
import { probe } from "./probe.mjs";
import engine from "./encore.wasm";
import model from "./model.encore";
import embeddings from "./embeddings.bin";
import listener from "./synth.json.bin";
import histories from "./histories.json.bin";

export default {
  async fetch(request) {
    const episodes = Number(new URL(request.url).searchParams.get("episodes") ?? 50);
    const files = {
      wasm: engine,
      model: new Uint8Array(model),
      embeddings: new Uint8Array(embeddings),
      listener: new Uint8Array(listener),
      histories: JSON.parse(new TextDecoder().decode(histories)),
    };
    try {
      return Response.json(await probe(encore, files, episodes));
    } catch (e) {
      return Response.json({ error: String(e && e.stack || e) }, { status: 500 });
    }
  },
};
