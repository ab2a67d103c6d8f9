import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Root can hide Debian's Chromium in a private mount namespace, as a machine without it. */
function canHideChromium(): string | null {
  if (process.getuid?.() !== 0) return 'hiding a system folder needs root (CI runs as root)';
  // .ci/bare.sh hides the loader by mounting an empty file over it.
  if ((statSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1', { throwIfNoEntry: false })?.size ?? 0) === 0)
    return 'no Vulkan loader here (libvulkan1): SwiftShader cannot be opened from Node at all';
  try {
    execFileSync('unshare', ['-m', 'true'], { stdio: 'ignore' });
  } catch {
    return 'unshare -m is not permitted here';
  }
  return null;
}

describe('--backend swiftshader without a system Chromium', () => {
  it('finds the SwiftShader the npm Chromium ships', (ctx) => {
    const why = canHideChromium();
    if (why !== null) ctx.skip(why);
    const script =
      'mkdir -p /usr/lib/chromium && mount -t tmpfs tmpfs /usr/lib/chromium && exec node bin/wgbench.js ' +
      'probe --backend swiftshader --json';
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, WGBENCH_IN_PROCESS: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const probe = JSON.parse(r.stdout) as {
      device: { backend: string; architecture: string };
      tried: { label: string }[];
    };
    expect(probe.device.backend).toBe('vulkan-swiftshader');
    expect(probe.device.architecture).toMatch(/swiftshader/i);
    expect(JSON.stringify(probe.tried)).toMatch(/the npm Chromium/);
  }, 150_000);
});
