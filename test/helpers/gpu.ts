import { acquireDevice, type AcquiredDevice, type AcquireOptions } from '../../src/gpu/acquire.js';
import { createNodeGpuProvider } from '../../src/platform/node.js';

/**
 * A real adapter (lavapipe in CI). GPU tests fail rather than skip when none is found: CI installs
 * one, and a missing adapter there is a broken setup, not a reason to pass.
 */
export function realDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  return acquireDevice(createNodeGpuProvider(), options);
}
