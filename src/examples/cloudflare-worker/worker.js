// encore on Cloudflare Workers: POST /recommend (and GET /health) on a model bundled with the
// Worker. The engine is imported as a WebAssembly module (Wrangler compiles it when deploying;
// workerd refuses to compile wasm from bytes at run time), the model and embeddings as Data
// imports (ArrayBuffers). The recommender is made once per isolate, at module scope, on the first
// request, and every request after reuses it. The API (validation, one-line JSON errors,
// bounded bodies) is the library's handleApi, the same code `encore serve` answers with.
//
//   curl -s https://<worker>/recommend -d '{"history": ["t_…", …], "k": 3}'
import { createRecommender, handleApi } from "encore";
import engine from "encore/encore.wasm";
import model from "./model.encore";
import embeddings from "./embeddings.bin";

let recommender = null; // a Promise<Recommender>, shared by the isolate's requests

export default {
  async fetch(request) {
    recommender ??= createRecommender({ wasm: engine, model, embeddings });
    const response = await handleApi(await recommender, request, { prefix: "" });
    return response ?? Response.json({ error: "not found: POST /recommend or GET /health" }, { status: 404 });
  },
};
