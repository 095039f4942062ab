// placeholder: kernels land here
export const optim_PLACEHOLDER: i32 = 0;
