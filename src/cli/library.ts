// The CLI's way into the library entry (src/index.ts): a recommender over files, on the engine
// build the process compiled (src/cli/wasm.ts), so `encore recommend`, `encore serve` and the
// page, the Worker and any library user run one code path.
import { createRecommender, type Recommender } from "../index.js";
import { loadEmbeddings } from "../embed/file.js";
import { readFileNamed } from "../io/atomic.js";
import { engineModule } from "./wasm.js";

/** A recommender over a model file and the embeddings file it was trained with (errors name the files). */
export async function openRecommender(modelPath: string, embeddingsPath: string): Promise<Recommender> {
  const emb = await loadEmbeddings(embeddingsPath);
  if (!emb.vocab) throw new Error(`${embeddingsPath}: saved without track ids; re-run 'encore embed' to get a file that can map ids`);
  const model = await readFileNamed(modelPath);
  return createRecommender({ wasm: engineModule(), model, modelName: modelPath, embeddings: emb });
}
