import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { BufferPool } from '../gpu/buffers.js';
import type { PassTimer, TimerInfo } from '../gpu/timer.js';
import type { PeakUnit } from '../probe/peaks.js';
import type { CaseResult, RunPeaks } from '../results/schema.js';
import type { TunedShapes } from './tunedShapes.js';

export type ParamValue = number | string | boolean;

/** Result of checking a kernel's output against a CPU reference before it is timed. */
export interface CheckResult {
  passed: boolean;
  method: string;
  /** Elements compared. */
  compared: number;
  mismatches: number;
  maxRelError: number | null;
  detail: string;
  /** A timing check's judgement of the time it measured (the doubling check, a linear fit). */
  verdict?: 'linear' | 'folded' | 'noisy';
}

/** What a suite needs from the run, given to it so it never reaches for a platform API. */
export interface SuiteContext {
  device: GPUDevice;
  info: DeviceInfo;
  quick: boolean;
  loadKernel: (name: string) => Promise<string>;
  /** Fresh per run; recorded so a failing check can be reproduced. */
  seed: number;
  /** File storage for the disk tier (Node: a scratch folder); absent where the platform has none. */
  storage?: ScratchStorage;
  /** The peaks this run divides by, for suites that report utilisation of a whole workload. */
  peaks?: RunPeaks;
  /** Opens another device (a second adapter where there is one) for work split across two. */
  openDevice?: () => Promise<{ device: GPUDevice; description: string }>;
  /** This device's stored tuning; a suite's explicit options never override it (resolveSetting). */
  tuned?: TunedShapes;
}

/** A scratch file with positional I/O; writes are durable after sync(). */
export interface ScratchFile {
  readonly path: string;
  write: (data: Uint8Array, position: number) => Promise<void>;
  read: (into: Uint8Array, position: number) => Promise<void>;
  sync: () => Promise<void>;
  /** Drops the file's pages from the OS cache where the platform allows it; says how, or null. */
  evictCache: () => Promise<string | null>;
  close: () => Promise<void>;
}

export interface ScratchStorage {
  /** Where files go, for messages. */
  readonly location: string;
  /** What "durable" means after sync(): fsync, or a browser's commit. */
  readonly durability: string;
  /** A new scratch file of `bytes` bytes; removed by close(), and at process exit if still open. */
  create: (bytes: number) => Promise<ScratchFile>;
  /** Why `bytes` cannot be stored here (not writable, not enough room), or null when it can. */
  refuse: (bytes: number) => Promise<string | null>;
}

/** A case after setup: buffers allocated, pipeline compiled. */
export interface PreparedCase {
  /** Records `repeats` dispatches of the kernel into one compute pass. */
  encode: (pass: GPUComputePassEncoder, repeats: number) => void;
  /** Poisons the output, runs the kernel once, and compares with the reference. */
  check: () => Promise<CheckResult>;
  /**
   * After timing: a check that the timing measured the work, e.g. that twice the iterations take
   * twice the time (a compiler that folded the loop would fail it). Gets the median per dispatch.
   */
  validateTiming?: (
    timePerDispatchNs: number,
    timePass: (record: (pass: GPUComputePassEncoder) => void) => Promise<number | null>,
  ) => Promise<CheckResult>;
  /**
   * For work that is not a compute pass (a transfer between memory tiers): one operation, timed
   * by the case itself on the host clock, in ns (null if invalid). The runner then skips GPU
   * passes and repeats this instead; `encode` is not used.
   */
  timeOperation?: () => Promise<number | null>;
  /** What timeOperation's clock spans, recorded as the case's timer method. */
  operationTimerMethod?: string;
  /**
   * For a cost fitted over counts (the overhead suite): the case times itself, round by round, and
   * gives one estimate per round as its samples. The runner skips its own timing loop; `encode` is
   * not used.
   */
  measure?: (tools: MeasureTools) => Promise<Measurement>;
  /** Releases what prepare() made outside the buffer pool (scratch files); runs even on failure. */
  dispose?: () => Promise<void>;
  /** Plain-data extras a case reports beside its timing (e.g. a KV-cache simulation's metrics). */
  extras?: () => Record<string, unknown> | null;
  /** Error of a reduced-precision result against the f32 reference, known after check(). */
  quantizationError?: () => { reference: string; relL2: number; maxRel: number } | null;
}

/** What the runner lends a self-timed case. */
export interface MeasureTools {
  /** The run's timer: GPU timestamps where the device has them, else the CPU fallback. */
  timer: PassTimer;
  /** Rounds to record (the run's passes) after `warmupRounds` not recorded. */
  rounds: number;
  warmupRounds: number;
  /** True once the run is interrupted or the device lost: stop after the sample in flight. */
  stopped: () => boolean;
}

/** A self-timed case's figures: one estimate per round, the timer behind them, and its fit. */
export interface Measurement {
  samplesNs: number[];
  invalid: number;
  timer: TimerInfo;
  extras: Record<string, unknown>;
  /** The fit's own check (R², a positive slope); a failed one fails the case with its detail. */
  timingCheck: CheckResult | null;
}

/** FLOPs a dispatch performs, and the unit whose peak they are divided by. */
export interface CaseWork {
  flopsPerDispatch: number;
  unit: PeakUnit;
  formula: string;
}

export interface CasePlan {
  /** This device's case: the size it runs at is part of it (saved results, history and gates match it). */
  id: string;
  /**
   * What is measured, the same on every device (src/results/caseKey.ts builds it); comparisons across
   * devices, engines and frameworks match on it. Left out, the suite's builder derives it from params.
   */
  key?: string;
  name: string;
  params: Record<string, ParamValue>;
  /** Bytes one dispatch moves, as counted by `bytesCounted`. */
  bytesPerDispatch: number;
  bytesCounted: 'read+write' | 'read' | 'write' | 'min-dram' | 'transferred';
  work?: CaseWork;
  /** Set when the device's limits rule the case out; the case is reported as skipped with it. */
  skipReason?: string;
  prepare(ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase>;
}

export interface Suite {
  name: string;
  description: string;
  /** Ticked in the page's suite list before the user chooses (the quick, cheap suites). */
  selectedByDefault?: boolean;
  /**
   * Where this suite's kernels come from, for a suite kept outside src/suites (a fixture, a lab's
   * own); the built-in suites read kernels/ through the platform's loader.
   */
  loadKernel?: (name: string) => Promise<string>;
  plan: (ctx: SuiteContext) => CasePlan[];
  /** Relates finished cases to each other (speed-ups over a baseline case), in place. */
  finalize?: (cases: CaseResult[]) => void;
}
