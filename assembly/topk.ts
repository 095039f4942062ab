// placeholder: kernels land here
export const topk_PLACEHOLDER: i32 = 0;
