import type { PeakSet } from './peaks.js';

/**
 * Vendor peak figures for known devices: dense (no structured sparsity), boost clocks, FLOP = 2 per
 * FMA. A device missing here still works: calibration alone supplies its peaks. Entries are
 * limited to figures the cited document states; a unit the vendor does not publish is left out
 * rather than guessed.
 */
export interface DatasheetEntry {
  id: string;
  name: string;
  /** Tested against "vendor architecture device description" of the adapter, lower-cased. */
  match: RegExp;
  peaks: PeakSet;
}

const NV_H100 = 'NVIDIA H100 Tensor Core GPU Architecture whitepaper, table 3';
const NV_H200 = 'NVIDIA H200 Tensor Core GPU datasheet';
const NV_A100 = 'NVIDIA A100 Tensor Core GPU Architecture whitepaper, table 1';
const NV_ADA = 'NVIDIA Ada GPU Architecture whitepaper, appendix A';
const NV_L40S = 'NVIDIA L40S datasheet';
const NV_L4 = 'NVIDIA L4 Tensor Core GPU datasheet';
const NV_AMPERE = 'NVIDIA Ampere GA102 GPU Architecture whitepaper, appendix A';
const NV_B200 =
  'NVIDIA HGX B200 specifications (nvidia.com): per GPU, half the listed sparse Tensor Core figures ' +
  '(dense), 8 TB/s HBM3e';
const NV_RTX50 = (cores: string, clock: string, memory: string): string =>
  `NVIDIA GeForce RTX 50 series specifications (nvidia.com): ${cores} CUDA cores at ${clock} boost, ` +
  `${memory}; FLOP/s = cores × 2 × clock, bytes/s = data rate × bus width`;
const AMD_MI300 = 'AMD Instinct MI300X data sheet';
const AMD_RDNA3 = 'AMD Radeon RX 7900 XTX specifications (amd.com)';
const APPLE = 'Apple newsroom announcement of the chip';
const INTEL_ARC =
  'Intel Arc A770 specifications (ark.intel.com): 32 Xe-cores (4,096 FP32 lanes) at 2.1 GHz graphics ' +
  'clock, 560 GB/s; FLOP/s = lanes × 2 × clock';

function peaks(
  source: string,
  p: { fp32?: number; fp16?: number; matrixF16?: number; matrixInt8?: number; gbps?: number },
  bandwidthSource = source,
): PeakSet {
  const compute: PeakSet['compute'] = {};
  for (const unit of ['fp32', 'fp16', 'matrixF16', 'matrixInt8'] as const) {
    const v = p[unit];
    if (v !== undefined) compute[unit] = { tflops: v, source };
  }
  return { compute, bandwidth: p.gbps === undefined ? null : { gbps: p.gbps, source: bandwidthSource } };
}

export const DATASHEET: readonly DatasheetEntry[] = [
  // NVIDIA data centre: Blackwell, Hopper, Ampere, Ada. The B200's FP32 rate is left out: the
  // figures published for it disagree (75 and 80 TFLOP/s for the same 1,000 W part).
  {
    id: 'nvidia-b200',
    name: 'NVIDIA B200 (HGX, 1,000 W)',
    match: /b200/,
    peaks: peaks(NV_B200, { matrixF16: 2250, matrixInt8: 4500, gbps: 8000 }),
  },
  {
    id: 'nvidia-h200',
    name: 'NVIDIA H200 SXM',
    match: /h200/,
    peaks: peaks(NV_H200, { fp32: 66.9, fp16: 133.8, matrixF16: 989.4, matrixInt8: 1978.9, gbps: 4800 }),
  },
  {
    id: 'nvidia-h100-pcie',
    name: 'NVIDIA H100 PCIe',
    match: /h100.*pcie/,
    peaks: peaks(NV_H100, { fp32: 51.2, fp16: 102.4, matrixF16: 756.5, matrixInt8: 1513, gbps: 2000 }),
  },
  {
    id: 'nvidia-h100-sxm',
    name: 'NVIDIA H100 SXM5 80GB',
    match: /h100/,
    peaks: peaks(NV_H100, { fp32: 66.9, fp16: 133.8, matrixF16: 989.4, matrixInt8: 1978.9, gbps: 3350 }),
  },
  {
    id: 'nvidia-a100-80gb',
    name: 'NVIDIA A100 80GB SXM',
    match: /a100.*80/,
    peaks: peaks(NV_A100, { fp32: 19.5, fp16: 78, matrixF16: 312, matrixInt8: 624, gbps: 2039 }),
  },
  {
    id: 'nvidia-a100-40gb',
    name: 'NVIDIA A100 40GB',
    match: /a100/,
    peaks: peaks(NV_A100, { fp32: 19.5, fp16: 78, matrixF16: 312, matrixInt8: 624, gbps: 1555 }),
  },
  {
    id: 'nvidia-l40s',
    name: 'NVIDIA L40S',
    match: /l40s/,
    peaks: peaks(NV_L40S, { fp32: 91.6, matrixF16: 362.05, matrixInt8: 733, gbps: 864 }),
  },
  {
    id: 'nvidia-l4',
    name: 'NVIDIA L4',
    match: /\bl4\b/,
    peaks: peaks(NV_L4, { fp32: 30.3, matrixF16: 121, matrixInt8: 242.5, gbps: 300 }),
  },
  // NVIDIA consumer: Blackwell, Ada, Ampere. Tensor FP16 is with FP32 accumulation (GeForce runs it
  // at half rate); for the RTX 50 series only the rates that follow from cores, clock and memory
  // interface are entered.
  {
    id: 'nvidia-rtx-5090',
    name: 'NVIDIA GeForce RTX 5090',
    match: /rtx.?5090/,
    peaks: peaks(NV_RTX50('21,760', '2.41 GHz', '512-bit GDDR7 at 28 Gbps'), { fp32: 104.8, gbps: 1792 }),
  },
  {
    id: 'nvidia-rtx-5080',
    name: 'NVIDIA GeForce RTX 5080',
    match: /rtx.?5080/,
    peaks: peaks(NV_RTX50('10,752', '2.62 GHz', '256-bit GDDR7 at 30 Gbps'), { fp32: 56.3, gbps: 960 }),
  },
  {
    id: 'nvidia-rtx-4090',
    name: 'NVIDIA GeForce RTX 4090',
    match: /rtx.?4090/,
    peaks: peaks(NV_ADA, { fp32: 82.6, fp16: 82.6, matrixF16: 165.2, matrixInt8: 660.6, gbps: 1008 }),
  },
  {
    id: 'nvidia-rtx-4080',
    name: 'NVIDIA GeForce RTX 4080',
    match: /rtx.?4080/,
    peaks: peaks(NV_ADA, { fp32: 48.7, fp16: 48.7, matrixF16: 97.5, matrixInt8: 389.9, gbps: 716.8 }),
  },
  {
    id: 'nvidia-rtx-3090',
    name: 'NVIDIA GeForce RTX 3090',
    match: /rtx.?3090/,
    peaks: peaks(NV_AMPERE, { fp32: 35.6, fp16: 35.6, matrixF16: 71, matrixInt8: 284, gbps: 936 }),
  },
  // AMD.
  {
    id: 'amd-mi300x',
    name: 'AMD Instinct MI300X',
    match: /mi300x/,
    peaks: peaks(AMD_MI300, { fp32: 163.4, matrixF16: 1307.4, matrixInt8: 2614.9, gbps: 5300 }),
  },
  {
    id: 'amd-rx-7900-xtx',
    name: 'AMD Radeon RX 7900 XTX',
    match: /7900.?xtx/,
    peaks: peaks(AMD_RDNA3, { fp32: 61.4, fp16: 122.8, gbps: 960 }),
  },
  // Intel.
  {
    id: 'intel-arc-a770',
    name: 'Intel Arc A770 16GB',
    match: /arc.*a770/,
    peaks: peaks(INTEL_ARC, { fp32: 17.2, fp16: 34.4, gbps: 560 }),
  },
  // Apple: the GPU FP32 figure Apple announced for the largest GPU configuration of each chip.
  {
    id: 'apple-m1-max',
    name: 'Apple M1 Max (32-core GPU)',
    match: /apple.*m1 max/,
    peaks: peaks(APPLE, { fp32: 10.4, gbps: 400 }),
  },
  {
    id: 'apple-m1-pro',
    name: 'Apple M1 Pro (16-core GPU)',
    match: /apple.*m1 pro/,
    peaks: peaks(APPLE, { fp32: 5.2, gbps: 200 }),
  },
  {
    id: 'apple-m1',
    name: 'Apple M1 (8-core GPU)',
    match: /apple.*m1\b/,
    peaks: peaks(APPLE, { fp32: 2.6, gbps: 68.25 }),
  },
  {
    id: 'apple-m2-max',
    name: 'Apple M2 Max (38-core GPU)',
    match: /apple.*m2 max/,
    peaks: peaks(APPLE, { fp32: 13.6, gbps: 400 }),
  },
  {
    id: 'apple-m2',
    name: 'Apple M2 (10-core GPU)',
    match: /apple.*m2\b/,
    peaks: peaks(APPLE, { fp32: 3.6, gbps: 100 }),
  },
  { id: 'apple-m3', name: 'Apple M3', match: /apple.*m3\b/, peaks: peaks(APPLE, { gbps: 100 }) },
  { id: 'apple-m4', name: 'Apple M4', match: /apple.*m4\b/, peaks: peaks(APPLE, { gbps: 120 }) },
];

export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/** The first entry whose pattern matches the adapter's identity; null for an unknown device. */
export function matchDatasheet(
  id: AdapterIdentity,
  table: readonly DatasheetEntry[] = DATASHEET,
): DatasheetEntry | null {
  const text = `${id.vendor} ${id.architecture} ${id.device} ${id.description}`.toLowerCase().replace(/-/g, ' ');
  return table.find((e) => e.match.test(text)) ?? null;
}
