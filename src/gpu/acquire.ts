import { classifyAdapter, limitsToRecord, subgroupMatrixConfigsOf, type DeviceInfo } from './adapterInfo.js';
import type { AdapterCandidate, GpuProvider } from './provider.js';

/** Features a benchmark can use; each is requested only where the adapter has it. */
export const OPTIONAL_FEATURES = [
  'timestamp-query',
  'shader-f16',
  'subgroups',
  'chromium-experimental-subgroup-matrix',
] as const;

/** Limits raised to the adapter's maximum so sizes are planned from what the hardware allows. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export class NoAdapterError extends Error {
  readonly tried: string[];

  constructor(tried: string[], installHint: string) {
    super(`No WebGPU adapter found. Tried: ${tried.join('; ')}.\n${installHint}`);
    this.name = 'NoAdapterError';
    this.tried = tried;
  }
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  info: DeviceInfo;
  /** What each candidate gave, in order, for the probe's report. */
  tried: string[];
  /** Held so the platform's GPU instances live as long as the device does. */
  provider: GpuProvider;
  /** Where the adapter came from: another library on the same adapter asks it again (gpu.js). */
  candidate: AdapterCandidate;
}

export interface AcquireOptions {
  /** Only candidates whose backend is listed are tried; all when absent. */
  backends?: readonly string[];
  /** Features not to request even if present (e.g. to test the CPU-timer fallback). */
  withoutFeatures?: readonly string[];
}

/**
 * Walks the provider's candidates in order and takes the first real GPU; when there is none,
 * the first CPU adapter (lavapipe, SwiftShader, GL ES on llvmpipe) in candidate order.
 */
export async function acquireDevice(provider: GpuProvider, options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const tried: string[] = [];
  let cpu: { candidate: AdapterCandidate; adapter: GPUAdapter } | null = null;
  let chosen: { candidate: AdapterCandidate; adapter: GPUAdapter } | null = null;
  const candidates = provider
    .candidates()
    .filter((c) => options.backends === undefined || options.backends.includes(c.backend));
  for (const candidate of candidates) {
    if (cpu !== null && candidate.softwareOnly === true) continue;
    let adapter: GPUAdapter | null;
    try {
      adapter = await candidate.requestAdapter();
    } catch (e) {
      tried.push(`${candidate.label}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      continue;
    }
    if (adapter === null) {
      tried.push(`${candidate.label}: no adapter`);
      continue;
    }
    const cls = classifyAdapter(adapter.info);
    tried.push(
      `${candidate.label}: ${adapter.info.description || adapter.info.device || adapter.info.vendor} (${cls})`,
    );
    if (cls === 'gpu') {
      chosen = { candidate, adapter };
      break;
    }
    cpu ??= { candidate, adapter };
  }
  chosen ??= cpu;
  if (chosen === null)
    throw new NoAdapterError(
      tried.length > 0 ? tried : ['no candidate matched the requested backend'],
      provider.installHint,
    );

  const { adapter, candidate } = chosen;
  const skip = new Set(options.withoutFeatures ?? []);
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !skip.has(f)) as GPUFeatureName[];
  const adapterLimits = limitsToRecord(adapter.limits);
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const v = adapterLimits[name];
    if (v !== undefined) requiredLimits[name] = v;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'wgbench' });
  const info: DeviceInfo = {
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    device: adapter.info.device,
    description: adapter.info.description,
    backend: candidate.backend,
    featureLevel: candidate.featureLevel,
    adapterClass: classifyAdapter(adapter.info),
    isFallbackAdapter: (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter,
    subgroupMinSize: numberOrNull((adapter.info as GPUAdapterInfo & { subgroupMinSize?: unknown }).subgroupMinSize),
    subgroupMaxSize: numberOrNull((adapter.info as GPUAdapterInfo & { subgroupMaxSize?: unknown }).subgroupMaxSize),
    adapterFeatures: [...adapter.features].map(String).sort(),
    deviceFeatures: [...device.features].map(String).sort(),
    limits: limitsToRecord(device.limits),
    subgroupMatrixConfigs: subgroupMatrixConfigsOf(adapter.info),
    toggles: provider.toggles,
    hostCacheBytes: provider.hostCacheBytes ?? null,
  };
  return { adapter, device, info, tried, provider, candidate };
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
