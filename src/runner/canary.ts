import { readChunked } from '../gpu/buffers.js';
import { computePipeline } from '../gpu/pipelines.js';
import type { PassTimer } from '../gpu/timer.js';
import { relativeNoise } from '../metrics/noise.js';
import { percentile } from '../metrics/summary.js';
import type { CanaryReading, CaseCanary, RunCanary } from '../results/schema.js';
import { peakSource } from '../suites/peak.js';

/**
 * The canary: one fixed register-only FMA kernel (kernels/peak.wgsl, f32, 4 vec4 chains — a shape
 * no compiler here spills), read before the first case and after every timed one. WebGPU shows no
 * clock and no neighbours; a kernel that never changes and touches no memory moves only when the
 * device's clock does or when something else takes its cores — so its drift above its fastest
 * reading is the proxy nvbench reads from the SM clock (src/ci/compare.ts calls a change beside it
 * ambiguous where the move could have made it).
 */
export interface Canary {
  /** Times one reading and returns its index; null where the timer gave too few valid passes or the run stops. */
  read(): Promise<number | null>;
  /**
   * The canary beside a case that ran between readings `before` and `after`, judged against the
   * fastest reading so far (so a case judged early is judged again at the end of the run).
   */
  judge(before: number, after: number | null, caseNoise: number | null): CaseCanary;
  /** The run's summary so far, given how many cases it touched. */
  summary(touchedCases: number): RunCanary;
  destroy(): void;
}

const CHAINS = 4;
/**
 * Twelve short passes a reading: the median's 95% interval then runs from the 3rd to the 10th
 * sample (src/metrics/noise.ts), so two stray passes a side do not make a reading look noisy — with
 * six the interval is the whole range, and one preempted pass on a shared CPU read as ±450%.
 */
export const CANARY_PASSES = 12;
const WARMUP_PASSES = 2;
const SIZING_DISPATCHES = 4;
/** The timer's step stays under 1% of a pass: the canary is read for moves of a percent and up. */
const MAX_STEP_SHARE = 0.01;
const MAX_DISPATCHES = 1024;

export interface CanaryShape {
  workgroups: number;
  workgroupSize: number;
  iterations: number;
  /** Length of one pass, ms: short, as the canary runs beside every case. */
  passMs: number;
}

/** Enough threads to occupy every core of a CPU adapter or every SM of a GPU, and no more. */
export function canaryShape(cpuAdapter: boolean): CanaryShape {
  return cpuAdapter
    ? { workgroups: 16, workgroupSize: 64, iterations: 256, passMs: 3 }
    : { workgroups: 1024, workgroupSize: 256, iterations: 1024, passMs: 1 };
}

/**
 * Builds the canary, checks its output (the fixed point of x·a + b, as the peak suite does), sizes its
 * pass and takes the first reading. Throws with the reason when it cannot run.
 */
export async function startCanary(
  device: GPUDevice,
  cpuAdapter: boolean,
  loadKernel: (name: string) => Promise<string>,
  timer: PassTimer,
  stopped: () => boolean,
  shape: CanaryShape = canaryShape(cpuAdapter),
): Promise<Canary> {
  const source = peakSource(await loadKernel('peak'), 'f32', CHAINS);
  const pipeline = await computePipeline(device, 'canary', source, 'peak_kernel', {
    WORKGROUP_SIZE: shape.workgroupSize,
    ITERATIONS: shape.iterations,
  });
  const threads = shape.workgroups * shape.workgroupSize;
  const [a, b] = [0.625, 0.0625];
  const coeffs = device.createBuffer({ size: 32, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(coeffs, 0, new Float32Array([a, a, a, a, b, b, b, b]));
  const out = device.createBuffer({
    size: threads * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const destroy = (): void => {
    coeffs.destroy();
    out.destroy();
  };
  try {
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: coeffs } },
        { binding: 1, resource: { buffer: out } },
      ],
    });
    const encode =
      (dispatches: number) =>
      (pass: GPUComputePassEncoder): void => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        for (let i = 0; i < dispatches; i++) pass.dispatchWorkgroups(shape.workgroups);
      };
    device.queue.writeBuffer(out, 0, new Float32Array(threads).fill(Number.NaN));
    await timer.timePass(encode(1));
    await checkFixedPoint(device, out, threads, (4 * CHAINS * b) / (1 - a));
    // Sized warm, and over several dispatches: the first dispatch after a compile ran 4× slower on
    // lavapipe, and a pass's first dispatch costs more than the next ones.
    for (let i = 0; i < WARMUP_PASSES; i++) await timer.timePass(encode(SIZING_DISPATCHES));
    const sizingNs = await timer.timePass(encode(SIZING_DISPATCHES));
    if (sizingNs === null || sizingNs <= 0) throw new Error('the timer gave no valid sample for the canary');
    const estimateNs = sizingNs / SIZING_DISPATCHES;
    const stepNs = timer.info().resolutionNs / MAX_STEP_SHARE;
    const dispatches = Math.max(
      1,
      Math.min(MAX_DISPATCHES, Math.round(Math.max(shape.passMs * 1e6, stepNs) / estimateNs)),
    );
    for (let i = 0; i < WARMUP_PASSES; i++) await timer.timePass(encode(dispatches));

    const t0 = performance.now();
    const readings: CanaryReading[] = [];
    const read = async (): Promise<number | null> => {
      const samples: number[] = [];
      for (let i = 0; i < CANARY_PASSES && !stopped(); i++) {
        const ns = await timer.timePass(encode(dispatches));
        if (ns !== null) samples.push(ns / dispatches);
      }
      if (samples.length < CANARY_PASSES) return null;
      readings.push({ atMs: performance.now() - t0, medianNs: percentile(samples, 50), noise: relativeNoise(samples) });
      return readings.length - 1;
    };
    // The fastest reading so far: the device's unimpeded speed, which a clock change or a neighbour
    // takes away from. Not the first reading: a process warming up reads slow — on GL ES the first
    // readings of a quick run sat 40% above nearly all that followed, so every case read "faster".
    const reference = (): CanaryReading =>
      readings.reduce((best, r) => (r.medianNs < best.medianNs ? r : best), readings[0] as CanaryReading);
    const moveOf = (r: CanaryReading): number => (r.medianNs / reference().medianNs - 1) * 100;
    if ((await read()) === null) throw new Error('the timer gave too few valid passes for the canary');
    const canary: Canary = {
      read,
      judge(before, after, caseNoise) {
        const around = [readings[before], ...(after === null ? [] : [readings[after]])].filter(
          (r): r is CanaryReading => r !== undefined,
        );
        const drifts = around.map(moveOf);
        const furthest = drifts.reduce((x, y) => (Math.abs(y) > Math.abs(x) ? y : x), 0);
        // A move counts when it is larger than the fastest reading's own noise (the canary at rest
        // varies that much) and than the case's noise (the case could show it). The reading's own
        // noise is left out: a neighbour widens it as it slows the canary, and adding it hid a busy
        // loop that moved lavapipe's canary +80% beside ±24–55% cases.
        const margin = Math.max(reference().noise ?? 0, caseNoise ?? 0) * 100;
        return {
          beforeNs: around[0]?.medianNs ?? reference().medianNs,
          afterNs: after === null ? null : (readings[after]?.medianNs ?? null),
          driftPct: furthest,
          touched: Math.abs(furthest) > margin,
        };
      },
      summary(touchedCases) {
        const drifts = readings.map(moveOf);
        return {
          method:
            `FMA f32, ${CHAINS} vec4 chains per thread, ${shape.iterations} iterations, ` +
            `${shape.workgroups} workgroups of ${shape.workgroupSize}; a reading is the median of ` +
            `${CANARY_PASSES} passes of ${dispatches} dispatches`,
          flopsPerDispatch: threads * CHAINS * 4 * 2 * shape.iterations,
          dispatchesPerPass: dispatches,
          passesPerReading: CANARY_PASSES,
          reference: reference(),
          readings: readings.map((r) => ({ ...r })),
          maxDriftPct: drifts.reduce((x, y) => (Math.abs(y) > Math.abs(x) ? y : x), 0),
          touchedCases,
        };
      },
      destroy,
    };
    return canary;
  } catch (e) {
    destroy();
    throw e;
  }
}

async function checkFixedPoint(device: GPUDevice, out: GPUBuffer, threads: number, want: number): Promise<void> {
  const mismatches: string[] = [];
  await readChunked(device, out, threads * 4, (offset, chunk) => {
    const values = new Float32Array(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let i = 0; i < values.length && mismatches.length === 0; i++) {
      const got = values[i] as number;
      if (!(Math.abs(got - want) <= 1e-4 * Math.abs(want)))
        mismatches.push(`thread ${offset / 4 + i}: got ${got}, want ${want}`);
    }
  });
  const [first] = mismatches;
  if (first !== undefined) throw new Error(`the canary's output does not match its reference (${first})`);
}

/** Two rounds of one case (calibrate): the canary beside the round that moved it more. */
export function mergeCaseCanary(a: CaseCanary, b: CaseCanary): CaseCanary {
  const further = Math.abs(b.driftPct) > Math.abs(a.driftPct) ? b : a;
  return { ...further, touched: a.touched || b.touched };
}
