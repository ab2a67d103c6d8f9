import type { BackendKind } from './provider.js';

export type AdapterClass = 'gpu' | 'cpu';

export interface DeviceInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: BackendKind;
  featureLevel: 'core' | 'compatibility';
  adapterClass: AdapterClass;
  isFallbackAdapter: boolean;
  subgroupMinSize: number | null;
  subgroupMaxSize: number | null;
  /** Features of the adapter (what the device could ask for). */
  adapterFeatures: string[];
  /** Features the device was created with. */
  deviceFeatures: string[];
  limits: Record<string, number>;
  subgroupMatrixConfigs: Record<string, string | number>[];
  toggles: { enabled: string[]; disabled: string[] };
  /** The host CPU's last-level cache (bytes), when the platform knows it: what a CPU adapter's data lives in. */
  hostCacheBytes?: number | null | undefined;
}

const CPU_MARKERS = /llvmpipe|lavapipe|swiftshader|software|softpipe/i;

/** A software rasteriser is a CPU adapter even when the driver does not say it is a fallback. */
export function classifyAdapter(info: GPUAdapterInfo): AdapterClass {
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return fallback || CPU_MARKERS.test(text) ? 'cpu' : 'gpu';
}

export function limitsToRecord(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // Dawn exposes limits as prototype getters, so Object.keys sees nothing; for..in walks them.
  for (const key in limits) {
    const v = (limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') out[key] = v;
  }
  return out;
}

export function subgroupMatrixConfigsOf(info: GPUAdapterInfo): Record<string, string | number>[] {
  const raw = (info as GPUAdapterInfo & { subgroupMatrixConfigs?: unknown }).subgroupMatrixConfigs;
  if (!Array.isArray(raw)) return [];
  return raw.map((c: unknown) => {
    const out: Record<string, string | number> = {};
    for (const key in c as object) {
      const v = (c as Record<string, unknown>)[key];
      if (typeof v === 'string' || typeof v === 'number') out[key] = v;
    }
    return out;
  });
}
