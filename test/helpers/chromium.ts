import { existsSync } from 'node:fs';

/** Where a browser test's Chromium comes from, in order: the user's, the system's, npm's. */
export interface ChromiumChoice {
  executablePath: string;
  source: 'WGBENCH_CHROMIUM' | 'system' | 'npm (@sparticuz/chromium)';
}

const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * WGBENCH_CHROMIUM (a path) wins, then a system Chromium; a bare machine gets the Chromium that
 * @sparticuz/chromium ships inside its npm package (unpacked to the temp folder, SwiftShader
 * included), so `npm test` needs nothing from apt. WGBENCH_CHROMIUM=npm forces that one.
 */
export async function resolveChromium(env: Record<string, string | undefined> = process.env): Promise<ChromiumChoice> {
  const wanted = env['WGBENCH_CHROMIUM'];
  if (wanted !== undefined && wanted !== '' && wanted !== 'npm') {
    if (!existsSync(wanted))
      throw new Error(`WGBENCH_CHROMIUM=${wanted} does not exist; unset it to use the system or npm Chromium`);
    return { executablePath: wanted, source: 'WGBENCH_CHROMIUM' };
  }
  if (wanted !== 'npm') {
    const system = SYSTEM_CHROMIUM.find((p) => existsSync(p));
    if (system !== undefined) return { executablePath: system, source: 'system' };
  }
  const mod = (await import('@sparticuz/chromium')) as unknown as {
    default: { executablePath: () => Promise<string> };
  };
  return { executablePath: await mod.default.executablePath(), source: 'npm (@sparticuz/chromium)' };
}
