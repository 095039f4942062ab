// placeholder: kernels land here
export const loss_PLACEHOLDER: i32 = 0;
