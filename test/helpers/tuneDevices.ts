import { readFileSync } from 'node:fs';
import { parseRunResult } from '../../src/results/schema.js';
import type { TuneDevice } from '../../src/tuning/families.js';

/** The devices of two recorded runs: an H100 (subgroup matrices, f16) and lavapipe (neither). */
export const H100_INFO: TuneDevice['info'] = parseRunResult(
  JSON.parse(readFileSync('test/fixtures/h100-compute.json', 'utf8')),
  'h100',
).device;
export const LAVAPIPE_INFO: TuneDevice['info'] = parseRunResult(
  JSON.parse(readFileSync('test/fixtures/lavapipe-memcopy-peak.json', 'utf8')),
  'lavapipe',
).device;

/** The limits a tuner family reads, at a workgroup-memory size and invocation count. */
export function tuneLimits(workgroupBytes: number, invocations = 1024): GPUSupportedLimits {
  return {
    maxComputeWorkgroupStorageSize: workgroupBytes,
    maxComputeInvocationsPerWorkgroup: invocations,
    maxComputeWorkgroupSizeX: 1024,
    maxComputeWorkgroupSizeY: 1024,
  } as GPUSupportedLimits;
}

/** The H100 as the tuner sees it (48 KiB of workgroup memory, full-size runs). */
export const H100_TUNE: TuneDevice = { info: H100_INFO, limits: tuneLimits(49152), quick: false };
