import type { MemoryMetric } from '../metrics/memory.js';

/** Host-side chunk for uploads and readbacks: bounds staging memory for GiB-sized buffers. */
export const TRANSFER_CHUNK_BYTES = 64 * 1024 * 1024;

let nextId = 0;

/** Buffers a case allocates, counted in the run's MemoryMetric and destroyed together. */
export class BufferPool {
  private readonly live: { buffer: GPUBuffer; id: string }[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly memory: MemoryMetric,
  ) {}

  create(descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(descriptor);
    const id = `${descriptor.label ?? 'buffer'}#${nextId++}`;
    this.memory.trackAllocation(id, descriptor.size);
    this.live.push({ buffer, id });
    return buffer;
  }

  /** Destroys one buffer of the pool before the rest (a cache evicting an entry). */
  destroy(buffer: GPUBuffer): void {
    const i = this.live.findIndex((x) => x.buffer === buffer);
    if (i < 0) return;
    const [entry] = this.live.splice(i, 1);
    buffer.destroy();
    if (entry !== undefined) this.memory.trackFree(entry.id);
  }

  destroyAll(): void {
    for (const { buffer, id } of this.live.splice(0)) {
      buffer.destroy();
      this.memory.trackFree(id);
    }
  }
}

/** Uploads `bytes` bytes produced chunk by chunk, so the whole buffer never sits in host memory at once. */
export function writeChunked(
  device: GPUDevice,
  buffer: GPUBuffer,
  bytes: number,
  fill: (offset: number, chunk: Uint32Array) => void,
): void {
  for (let offset = 0; offset < bytes; offset += TRANSFER_CHUNK_BYTES) {
    const size = Math.min(TRANSFER_CHUNK_BYTES, bytes - offset);
    const chunk = new Uint32Array(size / 4);
    fill(offset, chunk);
    device.queue.writeBuffer(buffer, offset, chunk);
  }
}

/** Reads `bytes` bytes back through one reusable staging buffer, handing each chunk to `visit`. */
export async function readChunked(
  device: GPUDevice,
  buffer: GPUBuffer,
  bytes: number,
  visit: (offset: number, chunk: Uint32Array) => void,
): Promise<void> {
  const stagingSize = Math.min(TRANSFER_CHUNK_BYTES, bytes);
  const staging = device.createBuffer({
    size: stagingSize,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    label: 'readback',
  });
  try {
    for (let offset = 0; offset < bytes; offset += stagingSize) {
      const size = Math.min(stagingSize, bytes - offset);
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ, 0, size);
      visit(offset, new Uint32Array(staging.getMappedRange(0, size)));
      staging.unmap();
    }
  } finally {
    staging.destroy();
  }
}

/** Uniform values in [-1, 1) as f32, reproducible from the seed: kernel inputs checked on the CPU. */
export function randomUniform(seed: number, n: number): Float32Array<ArrayBuffer> {
  const bits = new Uint32Array(n);
  fillRandomU32(seed, 0, bits);
  return Float32Array.from(bits, (v) => v / 2 ** 31 - 1);
}

/** Deterministic u32 stream (xorshift32) so inputs are random per run yet recomputable for checking. */
export function fillRandomU32(seed: number, offsetBytes: number, out: Uint32Array): void {
  // Each chunk gets its own seed so any chunk can be regenerated without the ones before it.
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(offsetBytes / 4 + 1, 0xc2b2ae35)) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x;
  }
}
