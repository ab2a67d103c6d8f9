import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicFile.js';
import { InputError } from '../ci/gateConfig.js';
import { calibrationKey, parseCalibration, type CalibrationProfile } from '../probe/calibration.js';

/**
 * Where calibration profiles live: --calibration-dir, else $WGBENCH_CALIBRATION_DIR, else
 * $XDG_CONFIG_HOME/wgbench/calibration (~/.config/wgbench/calibration). Configuration, not cache:
 * clearing caches must not silently change the peaks results are divided by.
 */
export function calibrationDir(override?: string, env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env['WGBENCH_CALIBRATION_DIR'];
  if (override !== undefined) return aFolder(override, '--calibration-dir');
  if (fromEnv !== undefined && fromEnv !== '') return aFolder(fromEnv, '$WGBENCH_CALIBRATION_DIR');
  const config =
    env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== ''
      ? env['XDG_CONFIG_HOME']
      : join(homedir(), '.config');
  return join(config, 'wgbench', 'calibration');
}

/** A calibration folder that exists as a file would make every run quietly use no peaks. */
function aFolder(dir: string, flag: string): string {
  if (dir.trim() === '')
    throw new InputError(
      '(command line)',
      flag,
      'an empty folder name; give a folder, or leave it out for the default',
    );
  let isFolder: boolean | undefined;
  try {
    isFolder = statSync(dir, { throwIfNoEntry: false })?.isDirectory();
  } catch {
    // A path through a file (ENOTDIR): the output guard names which part is a file.
    return dir;
  }
  if (isFolder === false) {
    throw new InputError(
      '(command line)',
      flag,
      `${dir} is a file, not a folder of calibration profiles; name a folder`,
    );
  }
  return dir;
}

/**
 * Peaks no device has: below a megaFLOP/s or a megabyte/s, or beyond ten exaFLOP/s or a petabyte/s.
 * A profile holding one was edited or broken; dividing by it would print nonsense utilisation.
 */
const PLAUSIBLE = { tflops: [1e-6, 1e7], gbps: [1e-3, 1e6] } as const;

function implausiblePeak(profile: CalibrationProfile): string | null {
  for (const [unit, peak] of Object.entries(profile.peaks.compute)) {
    if (peak !== undefined && !(peak.tflops >= PLAUSIBLE.tflops[0] && peak.tflops <= PLAUSIBLE.tflops[1])) {
      return (
        `its ${unit} peak, ${String(peak.tflops)} TFLOP/s, is outside what any device does ` +
        `(${String(PLAUSIBLE.tflops[0])}–${String(PLAUSIBLE.tflops[1])})`
      );
    }
  }
  const bw = profile.peaks.bandwidth;
  if (bw !== null && !(bw.gbps >= PLAUSIBLE.gbps[0] && bw.gbps <= PLAUSIBLE.gbps[1])) {
    return (
      `its bandwidth peak, ${String(bw.gbps)} GB/s, is outside what any device does ` +
      `(${String(PLAUSIBLE.gbps[0])}–${String(PLAUSIBLE.gbps[1])})`
    );
  }
  return null;
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
export function loadCalibration(
  dir: string,
  key: string,
  onIgnored: (why: string) => void = () => undefined,
): { profile: CalibrationProfile; file: string } | null {
  const file = calibrationPath(dir, key);
  if (!existsSync(file)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(
      file,
      '',
      `not valid JSON (${e instanceof Error ? e.message : String(e)}); delete it or run \`wgbench calibrate\` again`,
    );
  }
  let profile: CalibrationProfile;
  try {
    profile = parseCalibration(data, file);
  } catch (e) {
    throw new InputError(
      file,
      '',
      `${e instanceof Error ? e.message.replace(`${file}: `, '') : String(e)}; delete it or run \`wgbench ` +
        `calibrate\` again`,
    );
  }
  const recorded = calibrationKey(profile.device);
  if (profile.key !== key || recorded !== key) {
    onIgnored(
      `calibration ${file} is for another device (key "${profile.key}", device "${recorded}"), not this ` +
        `adapter ("${key}"): ignored; run \`wgbench calibrate\` here`,
    );
    return null;
  }
  const implausible = implausiblePeak(profile);
  if (implausible !== null) {
    onIgnored(`calibration ${file}: ${implausible}: ignored; run \`wgbench calibrate\` again`);
    return null;
  }
  return { profile, file };
}
