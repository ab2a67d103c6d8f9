/** WebGPU's guaranteed minimum of workgroups per dimension. */
const MAX_GROUPS_PER_DIMENSION = 65535;

/**
 * Workgroup counts for `n` threads of a 256-wide 1-D kernel, folded into (x, y) so large counts
 * stay within the per-dimension limit; the kernel recovers the index as gid.x + gid.y · x · 256.
 */
export function groups1d(n: number): [number, number, number] {
  const g = Math.ceil(n / 256);
  const x = Math.max(1, Math.min(g, MAX_GROUPS_PER_DIMENSION));
  return [x, Math.ceil(g / x), 1];
}
