// placeholder: kernels land here
export const gru_PLACEHOLDER: i32 = 0;
