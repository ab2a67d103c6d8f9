import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { InputError } from '../ci/gateConfig.js';
import { calibrationKey, parseCalibration, type CalibrationProfile } from '../probe/calibration.js';

/**
 * Where calibration profiles live: --calibration-dir, else $WGBENCH_CALIBRATION_DIR, else
 * $XDG_CONFIG_HOME/wgbench/calibration (~/.config/wgbench/calibration). Configuration, not cache:
 * clearing caches must not silently change the peaks results are divided by.
 */
export function calibrationDir(override?: string, env: Record<string, string | undefined> = process.env): string {
  if (override !== undefined) return override;
  const fromEnv = env['WGBENCH_CALIBRATION_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const config = env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== '' ? env['XDG_CONFIG_HOME'] : join(homedir(), '.config');
  return join(config, 'wgbench', 'calibration');
}

export function calibrationPath(dir: string, key: string): string {
  return join(dir, `${key}.json`);
}

export async function saveCalibration(dir: string, profile: CalibrationProfile): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = calibrationPath(dir, profile.key);
  await writeFileAtomic(file, `${JSON.stringify(profile, null, 2)}\n`);
  return file;
}

/**
 * The stored profile for a key, or null when there is none. A profile is used only when it is
 * this adapter's: its own key, and the key its recorded device gives, must both be `key` (a file
 * copied from another machine under this name would divide by another device's peaks); a
 * mismatch is reported through `onIgnored` and the profile is not used. A corrupt file is an
 * InputError that names it.
 */
export function loadCalibration(dir: string, key: string, onIgnored: (why: string) => void = () => undefined): { profile: CalibrationProfile; file: string } | null {
  const file = calibrationPath(dir, key);
  if (!existsSync(file)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(file, '', `not valid JSON (${e instanceof Error ? e.message : String(e)}); delete it or run \`wgbench calibrate\` again`);
  }
  let profile: CalibrationProfile;
  try {
    profile = parseCalibration(data, file);
  } catch (e) {
    throw new InputError(file, '', `${e instanceof Error ? e.message.replace(`${file}: `, '') : String(e)}; delete it or run \`wgbench calibrate\` again`);
  }
  const recorded = calibrationKey(profile.device);
  if (profile.key !== key || recorded !== key) {
    onIgnored(`calibration ${file} is for another device (key "${profile.key}", device "${recorded}"), not this adapter ("${key}"): ignored; run \`wgbench calibrate\` here`);
    return null;
  }
  return { profile, file };
}
