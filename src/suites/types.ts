import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { BufferPool } from '../gpu/buffers.js';

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
}

/** What a suite needs from the run, given to it so it never reaches for a platform API. */
export interface SuiteContext {
  device: GPUDevice;
  info: DeviceInfo;
  quick: boolean;
  loadKernel: (name: string) => Promise<string>;
  /** Fresh per run; recorded so a failing check can be reproduced. */
  seed: number;
}

/** A case after setup: buffers allocated, pipeline compiled. */
export interface PreparedCase {
  /** Records `repeats` dispatches of the kernel into one compute pass. */
  encode: (pass: GPUComputePassEncoder, repeats: number) => void;
  /** Poisons the output, runs the kernel once, and compares with the reference. */
  check: () => Promise<CheckResult>;
}

export interface CasePlan {
  id: string;
  name: string;
  params: Record<string, ParamValue>;
  /** Bytes one dispatch moves, as counted by `bytesCounted`. */
  bytesPerDispatch: number;
  bytesCounted: 'read+write' | 'read' | 'write';
  /** Set when the device's limits rule the case out; the case is reported as skipped with it. */
  skipReason?: string;
  prepare(ctx: SuiteContext, pool: BufferPool): Promise<PreparedCase>;
}

export interface Suite {
  name: string;
  description: string;
  plan(ctx: SuiteContext): CasePlan[];
}
