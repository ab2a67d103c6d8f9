import { expect } from 'vitest';
import type { CaseResult } from '../../src/results/schema.js';
import { acquireDevice, type AcquiredDevice, type AcquireOptions } from '../../src/gpu/acquire.js';
import type { BackendKind } from '../../src/gpu/provider.js';
import { createNodeGpuProvider } from '../../src/platform/node.js';

/**
 * The backend the GPU tests run on: WGBENCH_TEST_BACKEND (vulkan, swiftshader, opengles) pins
 * one, so the backend matrix in `.ci/run` runs the same checks on every compiler; unset, the
 * best adapter the machine has, as a user gets it.
 */
export function testBackends(env: Record<string, string | undefined> = process.env): BackendKind[] | undefined {
  const pinned = env['WGBENCH_TEST_BACKEND'];
  if (pinned === undefined || pinned === '' || pinned === 'auto') return undefined;
  const kinds: Record<string, BackendKind> = {
    vulkan: 'vulkan',
    swiftshader: 'vulkan-swiftshader',
    opengles: 'opengles',
  };
  const kind = kinds[pinned];
  if (kind === undefined) throw new Error(`WGBENCH_TEST_BACKEND="${pinned}": use vulkan, swiftshader or opengles`);
  return [kind];
}

/** The CLI's --backend value for the pinned test backend (auto when none is pinned). */
export function testBackendFlag(env: Record<string, string | undefined> = process.env): string {
  const pinned = env['WGBENCH_TEST_BACKEND'];
  return pinned === undefined || pinned === '' ? 'auto' : pinned;
}

/**
 * A real adapter (lavapipe in CI; each backend of the matrix in turn). GPU tests fail rather than
 * skip when none is found: a missing adapter is a broken setup, not a reason to pass.
 */
export function realDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const backends = testBackends();
  return acquireDevice(createNodeGpuProvider(), { ...(backends === undefined ? {} : { backends }), ...options });
}

/** What the adapter offers, for tests whose expectations depend on it (not-applicable cases). */
export function has(acquired: AcquiredDevice, feature: string): boolean {
  return acquired.info.deviceFeatures.includes(feature);
}

/**
 * A case the adapter can run must pass its check; one it cannot (a feature in `requires` is
 * missing) must be skipped, naming the missing feature. Returns whether the case ran.
 */
export function expectRanOrNotApplicable(
  acquired: AcquiredDevice,
  c: CaseResult | undefined,
  requires: readonly string[] = [],
): boolean {
  const missing = requires.filter((f) => !has(acquired, f));
  if (missing.length > 0) {
    expect(c?.status, `${c?.id ?? '?'} needs ${missing.join(', ')}`).toBe('skipped');
    expect(c?.message).toContain(missing[0]);
    return false;
  }
  expect(c?.status, `${c?.id ?? '?'}: ${c?.message ?? ''}`).toBe('ok');
  expect(c?.check?.passed).toBe(true);
  return true;
}

/** The args of a device command with the pinned backend added (the CLI's own choice otherwise). */
export function withTestBackend(args: readonly string[]): string[] {
  const device = ['probe', 'run', 'calibrate'].includes(args[0] ?? '');
  return device && !args.includes('--backend') ? [...args, '--backend', testBackendFlag()] : [...args];
}

/** The timer a device gives: GPU timestamps where it has them, else the host clock around submit → done. */
export function expectedTimerKind(acquired: AcquiredDevice): 'timestamp-query' | 'cpu-submit-to-done' {
  return has(acquired, 'timestamp-query') ? 'timestamp-query' : 'cpu-submit-to-done';
}
