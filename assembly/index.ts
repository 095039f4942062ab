// The encore engine's export surface. Kernels live in files named for what they are;
// this file only re-exports them, so the wasm's exports are exactly the list below.
export * from "./memory";
export * from "./gemm";
export * from "./elementwise";
export * from "./dense";
export * from "./loss";
export * from "./optim";
export * from "./topk";
export * from "./topk_i8";
export * from "./memread";
export * from "./gru";
export * from "./sgns";
export * from "./gather";
export * from "./rl";
export * from "./rowwise";
export * from "./pool";
export * from "./score";
export { BUILD_RELAXED, BUILD_SHARED } from "./simd";
