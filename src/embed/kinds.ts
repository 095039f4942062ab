// The kinds of track embeddings, in a module of their own so that the file format
// (src/embed/format.ts) can check them without pulling in the builders.
export type EmbeddingKind = "item2vec" | "features" | "hybrid";
export const EMBEDDING_KINDS: readonly EmbeddingKind[] = ["item2vec", "features", "hybrid"];
