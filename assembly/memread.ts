// A bare read of a byte range: the memory floor the catalog scans are measured against (a scan
// can never be faster than reading its bytes once). It reads the range as the top-k scan does,
// its four quarters side by side (four streams for the hardware prefetcher), and XORs every
// v128 so the loads cannot be dropped; the result means nothing else.

import { need, inside } from "./check";

/** XOR of the n bytes at p (n a multiple of 64), folded to an i32: the bytes read once, four streams. */
export function read_u8(p: usize, n: i32): i32 {
  need(n >= 0 && (n & 63) == 0, "read_u8: n must be a non-negative multiple of 64");
  assert(inside(p, <usize>n), "read_u8: range out of bounds");
  const q = <usize>(n >> 2);
  let a = i32x4.splat(0), b = i32x4.splat(0), c = i32x4.splat(0), d = i32x4.splat(0);
  for (let o: usize = 0; o < q; o += 16) {
    a = v128.xor(a, v128.load(p + o));
    b = v128.xor(b, v128.load(p + q + o));
    c = v128.xor(c, v128.load(p + 2 * q + o));
    d = v128.xor(d, v128.load(p + 3 * q + o));
  }
  const x = v128.xor(v128.xor(a, b), v128.xor(c, d));
  return i32x4.extract_lane(x, 0) ^ i32x4.extract_lane(x, 1) ^ i32x4.extract_lane(x, 2) ^ i32x4.extract_lane(x, 3);
}
