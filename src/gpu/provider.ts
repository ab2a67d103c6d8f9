/** How an adapter source is classified; only platform code knows how to build one. */
export type BackendKind = 'vulkan' | 'vulkan-swiftshader' | 'opengles' | 'browser' | 'default';

/** One place an adapter may come from (a Dawn instance with a backend, or navigator.gpu). */
export interface AdapterCandidate {
  /** Human-readable, e.g. "Dawn Vulkan". */
  label: string;
  backend: BackendKind;
  featureLevel: 'core' | 'compatibility';
  /** Can only ever give a CPU adapter (SwiftShader): not worth trying once one is in hand. */
  softwareOnly?: boolean;
  requestAdapter: () => Promise<GPUAdapter | null>;
}

/** What a platform hands shared code: candidates in preference order and how to install more. */
export interface GpuProvider {
  candidates(): AdapterCandidate[];
  /** Printed when no candidate yields an adapter: what to install, with the command. */
  installHint: string;
  /** Dawn toggles (or browser flags) in force, recorded with every result. */
  toggles: { enabled: string[]; disabled: string[] };
  /** The host CPU's last-level cache in bytes, where the platform can read it (a CPU adapter's cache). */
  hostCacheBytes?: number | null;
}
