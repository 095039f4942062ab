// placeholder: kernels land here
export const dense_PLACEHOLDER: i32 = 0;
