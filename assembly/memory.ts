// Static layout facts the host needs before it places its own regions.
// The host owns the one WebAssembly.Memory (imported as env.memory) and lays out
// every buffer above the engine's static data; see src/engine/plan.ts.

/** First byte above the engine's static data: the host's regions start at or above it. */
export function heap_base(): usize {
  return __heap_base;
}
