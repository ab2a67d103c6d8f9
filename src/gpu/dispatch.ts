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

/** Fills `output` with a poison word, then submits one pass of `encode`: the start of every check. */
export function submitPoisoned(
  device: GPUDevice,
  output: GPUBuffer,
  bytes: number,
  poison: number,
  encode: (pass: GPUComputePassEncoder, repeats: number) => void,
): void {
  const words = new Uint32Array(bytes / 4).fill(poison);
  device.queue.writeBuffer(output, 0, words);
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encode(pass, 1);
  pass.end();
  device.queue.submit([encoder.finish()]);
}
