// placeholder: kernels land here
export const sgns_PLACEHOLDER: i32 = 0;
