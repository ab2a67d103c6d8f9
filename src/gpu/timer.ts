export type TimerKind = 'timestamp-query' | 'cpu-submit-to-done' | 'host-wall';

export interface TimerInfo {
  kind: TimerKind;
  /** What a sample spans, in words, so a reader knows what overhead is inside it. */
  method: string;
  /**
   * Smallest step the timer showed: for timestamps the greatest common divisor of every raw
   * timestamp read so far; for the CPU timer the finest step of performance.now() seen here.
   */
  resolutionNs: number;
  /** True when timestamps come back rounded to a coarse step (≥ 1 µs); figures then carry that error. */
  quantized: boolean;
  rawTimestampsSeen: number;
}

/** Times one compute pass; shared code uses it without knowing which kind it is. */
export interface PassTimer {
  readonly kind: TimerKind;
  /**
   * Encodes one compute pass with `record`, submits it, and returns its duration in ns (null if the sample is invalid).
   */
  timePass(record: (pass: GPUComputePassEncoder) => void): Promise<number | null>;
  /**
   * Times a whole command buffer of compute passes: `build` begins them with the timestamp writes
   * `stamp(i, count)` gives pass i of count (the first pass's beginning, the last pass's end; none
   * for the CPU timer, whose span is submit to onSubmittedWorkDone).
   */
  timeEncoder(build: (encoder: GPUCommandEncoder, stamp: PassStamp) => void): Promise<number | null>;
  /** Start of the last valid pass on the timer's own clock (GPU or CPU), in ns; for traces. */
  lastBeginNs(): number | null;
  info(): TimerInfo;
  destroy(): void;
}

/** Timestamp writes for pass `index` of `count` passes inside one timed span. */
export type PassStamp = (index: number, count: number) => GPUComputePassTimestampWrites | undefined;

/** A timestamp step at or above this is coarse enough to distort short kernels: call it quantized. */
export const QUANTIZED_STEP_NS = 1000;
/** Fewer raw timestamps than this can share a large divisor by chance. */
const MIN_TIMESTAMPS_FOR_QUANTIZATION = 4;

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/**
 * The timer's step from raw timestamps: their greatest common divisor. Unrounded nanosecond
 * clocks give a small step (1–32 ns seen); Dawn's timestamp quantization gives 65,536 ns.
 */
export function timestampResolution(step: bigint, seen: number): { resolutionNs: number; quantized: boolean } {
  const resolutionNs = step === 0n ? 1 : Number(step);
  return { resolutionNs, quantized: seen >= MIN_TIMESTAMPS_FOR_QUANTIZATION && resolutionNs >= QUANTIZED_STEP_NS };
}

/** Pass timestamp queries: begin and end of the pass, on the GPU's clock. */
class TimestampTimer implements PassTimer {
  readonly kind = 'timestamp-query' as const;
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly readback: GPUBuffer;
  private step = 0n;
  private seen = 0;
  private begin: number | null = null;

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2, label: 'wgbench-timer' });
    this.resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readback = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  timePass(record: (pass: GPUComputePassEncoder) => void): Promise<number | null> {
    return this.timeEncoder((encoder, stamp) => {
      const writes = stamp(0, 1);
      const pass = encoder.beginComputePass(writes === undefined ? {} : { timestampWrites: writes });
      record(pass);
      pass.end();
    });
  }

  async timeEncoder(build: (encoder: GPUCommandEncoder, stamp: PassStamp) => void): Promise<number | null> {
    const encoder = this.device.createCommandEncoder();
    build(encoder, (index, count) => {
      const writes: GPUComputePassTimestampWrites = { querySet: this.querySet };
      if (index === 0) writes.beginningOfPassWriteIndex = 0;
      if (index === count - 1) writes.endOfPassWriteIndex = 1;
      return index === 0 || index === count - 1 ? writes : undefined;
    });
    encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, this.readback, 0, 16);
    this.device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    if (begin === undefined || end === undefined) return null;
    for (const t of [begin, end]) {
      if (t !== 0n) {
        this.step = gcd(this.step, t);
        this.seen += 1;
      }
    }
    // Both zero means the implementation wrote nothing; end <= begin is a clock wrap or reorder.
    if (end <= begin) return null;
    this.begin = Number(begin);
    return Number(end - begin);
  }

  lastBeginNs(): number | null {
    return this.begin;
  }

  info(): TimerInfo {
    return {
      kind: this.kind,
      method: 'pass timestampWrites (beginning and end of the compute pass, GPU clock)',
      ...timestampResolution(this.step, this.seen),
      rawTimestampsSeen: this.seen,
    };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.readback.destroy();
  }
}

/** No timestamp-query: CPU time from submit until onSubmittedWorkDone resolves (includes submit overhead). */
class CpuTimer implements PassTimer {
  readonly kind = 'cpu-submit-to-done' as const;
  private readonly resolutionNs: number;
  private begin: number | null = null;

  constructor(private readonly device: GPUDevice) {
    this.resolutionNs = measureClockStepNs();
  }

  lastBeginNs(): number | null {
    return this.begin;
  }

  timePass(record: (pass: GPUComputePassEncoder) => void): Promise<number | null> {
    return this.timeEncoder((encoder) => {
      const pass = encoder.beginComputePass();
      record(pass);
      pass.end();
    });
  }

  async timeEncoder(build: (encoder: GPUCommandEncoder, stamp: PassStamp) => void): Promise<number | null> {
    await this.device.queue.onSubmittedWorkDone();
    const encoder = this.device.createCommandEncoder();
    build(encoder, () => undefined);
    const commands = encoder.finish();
    const t0 = performance.now();
    this.device.queue.submit([commands]);
    await this.device.queue.onSubmittedWorkDone();
    const ns = (performance.now() - t0) * 1e6;
    if (!(ns > 0)) return null;
    this.begin = t0 * 1e6;
    return ns;
  }

  info(): TimerInfo {
    return {
      kind: this.kind,
      method:
        'CPU performance.now() from queue.submit to onSubmittedWorkDone (includes submission and ' +
        'completion-callback latency)',
      resolutionNs: this.resolutionNs,
      quantized: this.resolutionNs >= QUANTIZED_STEP_NS,
      rawTimestampsSeen: 0,
    };
  }

  destroy(): void {}
}

/** The finest step performance.now() shows here (browsers coarsen it; Node gives ~µs or better). */
export function measureClockStepNs(): number {
  let best = Infinity;
  for (let i = 0; i < 200; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    best = Math.min(best, b - a);
  }
  return Math.max(1, Math.round(best * 1e6));
}

/** Timestamp queries when the device has them, else the CPU fallback; the kind is recorded either way. */
export function createPassTimer(device: GPUDevice): PassTimer {
  return device.features.has('timestamp-query') ? new TimestampTimer(device) : new CpuTimer(device);
}

let hostStepNs: number | null = null;
/** The record of a host-clock measurement: performance.now() around `method`, its step measured once. */
export function hostWallTimer(method: string): TimerInfo {
  hostStepNs ??= measureClockStepNs();
  return {
    kind: 'host-wall',
    method,
    resolutionNs: hostStepNs,
    quantized: hostStepNs >= QUANTIZED_STEP_NS,
    rawTimestampsSeen: 0,
  };
}
