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
  const kinds: Record<string, BackendKind> = { vulkan: 'vulkan', swiftshader: 'vulkan-swiftshader', opengles: 'opengles' };
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
