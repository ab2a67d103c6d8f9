import { fillRandomU32, randomUniform, type BufferPool } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import type { CaseResult } from '../results/schema.js';
import { createMatmulSuite } from './matmul.js';
import { DEFAULT_TILE, tileSource } from './matmul/shapes.js';
import type { CasePlan, CheckResult, PreparedCase, Suite, SuiteContext } from './types.js';
import { peerKey } from '../results/caseKey.js';

/** The slice of gpu.js this suite uses (https://github.com/gpujs/gpu.js). */
export interface GpuJsKernel {
  (a: Float32Array[], b: Float32Array[]): Promise<ArrayLike<ArrayLike<number>>> | ArrayLike<ArrayLike<number>>;
  setOutput: (size: number[]) => GpuJsKernel;
  setConstants: (c: Record<string, number>) => GpuJsKernel;
}
export interface GpuJsInstance {
  createKernel: (
    fn: (this: { thread: { x: number; y: number }; constants: { n: number } }, a: number[][], b: number[][]) => number,
  ) => GpuJsKernel;
  destroy?: () => void;
}
/** gpu.js as the platform made it, and the adapter gpu.js was handed (null until it asked for one). */
export interface GpuJsHandle {
  gpu: GpuJsInstance;
  adapter: () => string | null;
  /** Undoes what the platform set up for gpu.js (Node: the navigator.gpu it provided). */
  release?: () => void;
}
/** Made by the platform: gpu.js needs navigator.gpu (Node) or a page (WebGL2). */
export type GpuJsFactory = (mode: 'webgpu' | 'webgl2') => Promise<GpuJsHandle>;

/** How a peer case names the adapter it ran on: vendor / architecture / device, and the backend. */
export function adapterLabel(
  info: { vendor: string; architecture: string; device: string; description?: string },
  backend?: string,
): string {
  const parts = [info.vendor, info.architecture, info.device].filter((x) => x !== '');
  const name = parts.length > 0 ? parts.join(' / ') : (info.description ?? 'unknown adapter');
  return backend === undefined ? name : `${name} via ${backend}`;
}

export type PeerKind = 'gpujs-webgpu' | 'gpujs-webgl2' | 'js-loop' | 'wgbench-tiled-e2e';
const PEERS: readonly PeerKind[] = ['wgbench-tiled-e2e', 'gpujs-webgpu', 'gpujs-webgl2', 'js-loop'];
/** A plain JavaScript triple loop above this size takes seconds per call; it is skipped. */
const JS_LOOP_MAX = 512;
const SAMPLES = 256;
const TOLERANCE = 1e-4;

export interface PeersOptions {
  sizes?: readonly number[];
  /** The peer implementations the platform can run (gpu.js WebGL2 needs a page). */
  gpuJs?: GpuJsFactory;
  gpuJsModes?: readonly ('webgpu' | 'webgl2')[];
}

function matrices(seed: number, n: number): { a: Float32Array<ArrayBuffer>; b: Float32Array<ArrayBuffer> } {
  return { a: randomUniform(seed, n * n), b: randomUniform(seed + 1, n * n) };
}

/** Sampled elements of C against f64, relative to Σ|a·b| (the same rule as the matmul suite). */
function checkProduct(
  n: number,
  a: Float32Array,
  b: Float32Array,
  get: (row: number, col: number) => number,
  seed: number,
): CheckResult {
  const bits = new Uint32Array(SAMPLES);
  fillRandomU32(seed ^ 0x2a2a, 0, bits);
  let bad = 0;
  let maxRel = 0;
  let first = '';
  for (const v of bits) {
    const row = Math.floor((v % (n * n)) / n);
    const col = v % n;
    let want = 0;
    let scale = 0;
    for (let k = 0; k < n; k++) {
      const p = (a[row * n + k] as number) * (b[k * n + col] as number);
      want += p;
      scale += Math.abs(p);
    }
    const got = get(row, col);
    const rel = Math.abs(got - want) / (scale || 1);
    if (!(rel <= TOLERANCE) && bad++ === 0) first = `C[${row}][${col}] = ${got}, want ${want}`;
    if (Number.isFinite(rel)) maxRel = Math.max(maxRel, rel);
  }
  return {
    passed: bad === 0,
    method: `${SAMPLES} sampled elements, |got − want| / Σ|a·b| ≤ ${TOLERANCE} against f64`,
    compared: SAMPLES,
    mismatches: bad,
    maxRelError: maxRel,
    detail:
      bad === 0
        ? `${SAMPLES} sampled elements match (max relative error ${maxRel.toExponential(2)})`
        : `${bad} of ${SAMPLES} differ; first ${first}`,
  };
}

function rows(m: Float32Array, n: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => m.subarray(i * n, (i + 1) * n));
}

async function preparePeer(
  kind: PeerKind,
  n: number,
  options: PeersOptions,
  ctx: SuiteContext,
  pool: BufferPool,
): Promise<PreparedCase> {
  const { a, b } = matrices(ctx.seed, n);
  const encode = (): void => undefined;
  const onDevice = adapterLabel(ctx.info, ctx.info.backend);
  if (kind === 'js-loop') {
    const c = new Float32Array(n * n);
    const run = (): void => {
      c.fill(0);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) {
          const aik = a[i * n + k] as number;
          for (let j = 0; j < n; j++) c[i * n + j] = (c[i * n + j] as number) + aik * (b[k * n + j] as number);
        }
      }
    };
    return {
      encode,
      check: () => {
        c.fill(Number.NaN);
        run();
        return Promise.resolve(checkProduct(n, a, b, (r, col) => c[r * n + col] as number, ctx.seed));
      },
      timeOperation: () => {
        const t0 = performance.now();
        run();
        return Promise.resolve((performance.now() - t0) * 1e6);
      },
      operationTimerMethod: 'host clock around one call of a plain JavaScript i-k-j loop over Float32Arrays',
      extras: () => ({ adapter: null, ranOn: 'CPU (JavaScript)' }),
    };
  }
  if (kind === 'wgbench-tiled-e2e') {
    const { device } = ctx;
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const bufA = pool.create({ size: n * n * 4, usage: storage, label: 'A' });
    const bufB = pool.create({ size: n * n * 4, usage: storage, label: 'B' });
    const bufC = pool.create({ size: n * n * 4, usage: storage, label: 'C' });
    const mask = pool.create({ size: Math.max(16, (n / 128) * (n / 8) * 4), usage: storage, label: 'mask' });
    device.queue.writeBuffer(mask, 0, new Uint32Array((n / 128) * (n / 8)).fill(1));
    const dims = pool.create({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'dims' });
    device.queue.writeBuffer(dims, 0, new Uint32Array([n, n, n, n / 8]));
    const readback = pool.create({
      size: n * n * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'readback',
    });
    // The default 128×128×8 tile, which the mask above is laid out for.
    const code = tileSource(await ctx.loadKernel('matmul'), DEFAULT_TILE);
    const pipeline = await computePipeline(device, 'matmul', code, 'tiled_kernel');
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        [3, dims],
        [4, bufA],
        [5, bufB],
        [6, bufC],
        [7, mask],
      ].map(([binding, buffer]) => ({ binding: binding as number, resource: { buffer: buffer as GPUBuffer } })),
    });
    const c = new Float32Array(n * n);
    const run = async (): Promise<void> => {
      device.queue.writeBuffer(bufA, 0, a);
      device.queue.writeBuffer(bufB, 0, b);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(n / 128, n / 128);
      pass.end();
      encoder.copyBufferToBuffer(bufC, 0, readback, 0, n * n * 4);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      c.set(new Float32Array(readback.getMappedRange()));
      readback.unmap();
    };
    return {
      encode,
      check: async () => {
        c.fill(Number.NaN);
        device.queue.writeBuffer(bufC, 0, new Float32Array(n * n).fill(Number.NaN));
        await run();
        return checkProduct(n, a, b, (r, col) => c[r * n + col] as number, ctx.seed);
      },
      timeOperation: async () => {
        const t0 = performance.now();
        await run();
        return (performance.now() - t0) * 1e6;
      },
      operationTimerMethod:
        'host clock around upload of A and B, the tiled kernel, and readback of C (what a gpu.js call does)',
      extras: () => ({ adapter: onDevice }),
    };
  }
  const mode = kind === 'gpujs-webgpu' ? 'webgpu' : 'webgl2';
  if (options.gpuJs === undefined) throw new Error('gpu.js is not available on this platform');
  const handle = await options.gpuJs(mode);
  const { gpu } = handle;
  const kernel = gpu
    .createKernel(function (
      this: { thread: { x: number; y: number }; constants: { n: number } },
      x: number[][],
      y: number[][],
    ): number {
      let s = 0;
      for (let k = 0; k < this.constants.n; k++)
        s += ((x[this.thread.y] as number[])[k] as number) * ((y[k] as number[])[this.thread.x] as number);
      return s;
    })
    .setOutput([n, n])
    .setConstants({ n });
  const ra = rows(a, n);
  const rb = rows(b, n);
  let out: ArrayLike<ArrayLike<number>> = [];
  return {
    encode,
    check: async () => {
      out = await kernel(ra, rb);
      const ranOn = handle.adapter();
      // A peer timed on another adapter than the run's would compare two devices: refused.
      if (mode === 'webgpu' && ranOn !== null && ranOn !== onDevice)
        throw new Error(`gpu.js ran on ${ranOn}, not on the run's adapter ${onDevice}`);
      return checkProduct(n, a, b, (r, col) => (out[r] as ArrayLike<number>)[col] as number, ctx.seed);
    },
    timeOperation: async () => {
      const t0 = performance.now();
      out = await kernel(ra, rb);
      return (performance.now() - t0) * 1e6;
    },
    operationTimerMethod:
      `host clock around one gpu.js ${mode} kernel call (upload, kernel, readback: its API returns the ` + `result)`,
    extras: () => ({ adapter: handle.adapter() ?? (mode === 'webgl2' ? 'WebGL2 context of the page' : null) }),
    dispose: () => {
      gpu.destroy?.();
      handle.release?.();
      return Promise.resolve();
    },
  };
}

export function planPeerSizes(cpuAdapter: boolean, quick: boolean): number[] {
  return cpuAdapter ? [quick ? 256 : 512] : [quick ? 512 : 1024];
}

export function createPeersSuite(options: PeersOptions = {}): Suite {
  return {
    name: 'peers',
    description:
      'the same matmul through gpu.js (WebGPU; WebGL2 in a page) and a plain JavaScript loop, beside wgbench',
    plan(ctx) {
      const cases: CasePlan[] = [];
      for (const n of options.sizes ?? planPeerSizes(ctx.info.adapterClass === 'cpu', ctx.quick)) {
        const kernelOnly = createMatmulSuite({
          shapes: [{ M: n, N: n, K: n, label: `${n}³` }],
          variants: ['tiled-f32'],
        }).plan(ctx)[0];
        if (kernelOnly) {
          const prepareKernel = kernelOnly.prepare.bind(kernelOnly);
          cases.push({
            ...kernelOnly,
            id: `peers/wgbench-tiled/${n}`,
            key: peerKey('wgbench-tiled'),
            name: `wgbench tiled (kernel) ${n}³`,
            params: { ...kernelOnly.params, peer: 'wgbench-tiled', n },
            prepare: async (c, pool) => {
              const prepared = await prepareKernel(c, pool);
              const own = prepared.extras;
              return {
                ...prepared,
                extras: () => ({ ...(own?.() ?? {}), adapter: adapterLabel(c.info, c.info.backend) }),
              };
            },
          });
        }
        for (const kind of PEERS) {
          const plan: CasePlan = {
            id: `peers/${kind}/${n}`,
            key: peerKey(kind),
            name: `${kind} ${n}³`,
            params: { peer: kind, n },
            bytesPerDispatch: 3 * n * n * 4,
            bytesCounted: 'min-dram',
            work: { flopsPerDispatch: 2 * n ** 3, unit: 'fp32', formula: '2·N³' },
            prepare: (c, pool) => preparePeer(kind, n, options, c, pool),
          };
          const modes = options.gpuJsModes ?? [];
          if (
            kind.startsWith('gpujs') &&
            (options.gpuJs === undefined || !modes.includes(kind === 'gpujs-webgpu' ? 'webgpu' : 'webgl2'))
          )
            plan.skipReason =
              `gpu.js ${kind.slice(6)} is not available ` +
              `here${kind === 'gpujs-webgl2' ? ' (WebGL2 needs a browser page)' : ''}`;
          if (kind === 'js-loop' && n > JS_LOOP_MAX)
            plan.skipReason = `a plain JavaScript loop takes seconds per call above ${JS_LOOP_MAX}³`;
          if (n % 128 !== 0) plan.skipReason = 'sizes must be multiples of 128 (the tiled kernel)';
          cases.push(plan);
        }
      }
      return cases;
    },
    finalize: relatePeers,
  };
}

/** How many times faster wgbench's tiled kernel is than each peer, kernel-only and end to end. */
export function relatePeers(cases: CaseResult[]): void {
  for (const c of cases) {
    const n = c.params['n'];
    const time = (peer: string): number | null =>
      cases.find((x) => x.params['peer'] === peer && x.params['n'] === n && x.status === 'ok')?.summary?.p50 ?? null;
    const ours = time('wgbench-tiled');
    const oursE2e = time('wgbench-tiled-e2e');
    const theirs = c.summary?.p50 ?? null;
    if (theirs === null || c.params['peer'] === 'wgbench-tiled') continue;
    c.extras = {
      ...(c.extras ?? {}),
      wgbenchKernelSpeedup: ours === null ? null : theirs / ours,
      wgbenchEndToEndSpeedup: oursE2e === null ? null : theirs / oursE2e,
    };
  }
}
