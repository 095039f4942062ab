// placeholder: kernels land here
export const elementwise_PLACEHOLDER: i32 = 0;
