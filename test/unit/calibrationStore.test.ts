import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  calibrationDir,
  calibrationPath,
  loadCalibration,
  saveCalibration,
} from '../../src/platform/calibrationStore.js';
import { calibrationKey, type CalibrationProfile } from '../../src/probe/calibration.js';

const H100 = {
  vendor: 'nvidia',
  architecture: '',
  device: 'nvidia-h100-80gb-hbm3',
  description: 'NVIDIA: 580',
  backend: 'vulkan',
};
const profile: CalibrationProfile = {
  schemaVersion: 1,
  key: calibrationKey(H100),
  device: H100,
  measuredAt: '2026-11-27T18:04:15.427Z',
  toolVersion: '0.1.0',
  quick: false,
  peaks: {
    compute: { fp32: { tflops: 64.4, source: 'calibrated 2026-11-27: peak/fma-f32' } },
    bandwidth: { gbps: 3118, source: 'calibrated: memcopy/read' },
  },
  evidence: [{ unit: 'fp32', caseId: 'peak/fma-f32', value: 64.4, valueUnit: 'TFLOP/s' }],
};

describe('calibration store', () => {
  it('resolves the folder: flag, then WGBENCH_CALIBRATION_DIR, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(calibrationDir('/flag', { WGBENCH_CALIBRATION_DIR: '/env' })).toBe('/flag');
    expect(calibrationDir(undefined, { WGBENCH_CALIBRATION_DIR: '/env', XDG_CONFIG_HOME: '/xdg' })).toBe('/env');
    expect(calibrationDir(undefined, { XDG_CONFIG_HOME: '/xdg' })).toBe(join('/xdg', 'wgbench', 'calibration'));
    expect(calibrationDir(undefined, {})).toBe(join(homedir(), '.config', 'wgbench', 'calibration'));
  });

  it('saves atomically (no temp files left) and loads back the same profile', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wgcal-')), 'nested');
    const file = await saveCalibration(dir, profile);
    expect(file).toBe(calibrationPath(dir, profile.key));
    expect(readdirSync(dir)).toEqual([`${calibrationKey(H100)}.json`]);
    expect(loadCalibration(dir, profile.key)).toEqual({ profile, file });
    expect(loadCalibration(dir, 'other-device')).toBeNull();
  });

  it('a corrupt or foreign file is an error that names the file and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgcal-'));
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expect(() => loadCalibration(dir, 'bad')).toThrow(/bad\.json: not valid JSON .*run `wgbench calibrate` again/);
    writeFileSync(join(dir, 'foreign.json'), JSON.stringify({ schemaVersion: 1, key: 3 }));
    expect(() => loadCalibration(dir, 'foreign')).toThrow(/foreign\.json: not a wgbench calibration profile: "key"/);
  });
});
