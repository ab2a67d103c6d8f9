/// <reference types="vite/client" />
import type { AdapterCandidate, GpuProvider } from '../gpu/provider.js';
import { adapterLabel, type GpuJsFactory, type GpuJsInstance } from '../suites/peers.js';
import type { ScratchStorage } from '../suites/types.js';

/** Every kernel, bundled by Vite as text: the page runs the same WGSL as the CLI. */
const KERNELS = import.meta.glob<string>('../../kernels/*.wgsl', { query: '?raw', import: 'default', eager: true });

export function loadKernelBundled(name: string): Promise<string> {
  const code = KERNELS[`../../kernels/${name}.wgsl`];
  return code === undefined
    ? Promise.reject(new Error(`kernel "${name}" is not in the bundle`))
    : Promise.resolve(code);
}

export const BROWSER_INSTALL_HINT = [
  'This browser exposes no WebGPU adapter. Try:',
  '  - Chrome or Edge 113+ (WebGPU on by default on Windows, macOS and ChromeOS; on Linux start with ' +
    '--enable-unsafe-webgpu),',
  '  - Firefox 141+ on Windows, or Safari 26+,',
  '  - a page served over https:// or from localhost (navigator.gpu exists only in a secure context),',
  '  - and a GPU driver the browser has not blocklisted (chrome://gpu says why).',
].join('\n');

/** navigator.gpu as the one adapter source; the browser picks between GPU and its software adapter. */
export function createBrowserGpuProvider(gpu: GPU | undefined = globalThis.navigator?.gpu): GpuProvider {
  const candidates = (): AdapterCandidate[] =>
    gpu === undefined
      ? []
      : [
          {
            label: 'navigator.gpu (high-performance)',
            backend: 'browser',
            featureLevel: 'core',
            requestAdapter: () => gpu.requestAdapter({ powerPreference: 'high-performance' }),
          },
          {
            label: 'navigator.gpu (fallback adapter)',
            backend: 'browser',
            featureLevel: 'core',
            softwareOnly: true,
            requestAdapter: () => gpu.requestAdapter({ forceFallbackAdapter: true }),
          },
        ];
  return { candidates, installHint: BROWSER_INSTALL_HINT, toggles: { enabled: [], disabled: [] } };
}

/** gpu.js in the page: WebGPU through navigator.gpu, or WebGL2 on a canvas. */
export function createBrowserGpuJs(): GpuJsFactory {
  return async (mode) => {
    const mod = (await import('gpu.js')) as unknown as { GPU: new (o: { mode: string }) => GpuJsInstance };
    // gpu.js asks navigator.gpu itself; the adapter it gets is recorded by wrapping that call.
    let seen: string | null = null;
    const gpu = globalThis.navigator.gpu as GPU | undefined;
    let release: (() => void) | undefined;
    if (mode === 'webgpu' && gpu !== undefined) {
      const original = gpu.requestAdapter.bind(gpu);
      gpu.requestAdapter = async (options?: GPURequestAdapterOptions) => {
        const adapter = await original(options);
        if (adapter !== null) seen = adapterLabel(adapter.info, 'browser');
        return adapter;
      };
      release = () => {
        gpu.requestAdapter = original;
      };
    }
    return { gpu: new mod.GPU({ mode }), adapter: () => seen, ...(release === undefined ? {} : { release }) };
  };
}

/** A JSON document per device key in the page's localStorage. */
function localStore(prefix: string): {
  key: (deviceKey: string) => string;
  load: (deviceKey: string) => unknown;
  save: (deviceKey: string, doc: unknown) => void;
} {
  const key = (deviceKey: string): string => `${prefix}.${deviceKey}`;
  return {
    key,
    load: (deviceKey) => {
      const text = globalThis.localStorage.getItem(key(deviceKey));
      return text === null ? null : (JSON.parse(text) as unknown);
    },
    save: (deviceKey, doc) => {
      globalThis.localStorage.setItem(key(deviceKey), JSON.stringify(doc));
    },
  };
}

/** Where a calibration is kept in the page, per device key. */
export const browserCalibrationStore = localStore('wgbench.calibration');

/** Where Tune keeps its result in the page, per device key, in the CLI's format. */
export const browserTuningStore = localStore('wgbench.tuning');

export function browserPlatform(): { runtime: string; os: string } {
  const ua = globalThis.navigator.userAgent;
  const os = /\(([^;)]+)/.exec(ua)?.[1] ?? 'unknown';
  return { runtime: `browser ${ua}`, os };
}

/**
 * The disk tier in a tab: the Origin Private File System. The main thread has no synchronous
 * access handle, so a write goes through a writable stream that the browser commits on close();
 * when the bytes reach the disk is the browser's business, and the results say so.
 */
export async function createOpfsScratchStorage(): Promise<ScratchStorage | null> {
  const storage = globalThis.navigator.storage as StorageManager | undefined;
  if (storage === undefined || typeof storage.getDirectory !== 'function') return null;
  const root = await storage.getDirectory();
  let counter = 0;
  return {
    location: 'the Origin Private File System',
    durability: 'the writable stream was closed (committed by the browser; no fsync from a page)',
    async refuse(bytes) {
      const estimate = await storage.estimate();
      const free = (estimate.quota ?? 0) - (estimate.usage ?? 0);
      return free < bytes + 64 * 1024 * 1024
        ? `the browser grants this origin ${(free / 2 ** 20).toFixed(0)} MiB of storage; the run needs ` +
            `${(bytes / 2 ** 20).toFixed(0)} MiB more (use quick, or free site data)`
        : null;
    },
    async create(bytes) {
      const name = `wgbench-scratch-${Date.now()}-${counter++}.bin`;
      const handle = await root.getFileHandle(name, { create: true });
      const init = await handle.createWritable();
      await init.truncate(bytes);
      await init.close();
      return {
        path: `opfs:/${name}`,
        async write(data, position) {
          const w = await handle.createWritable({ keepExistingData: true });
          await w.write({ type: 'write', position, data: data as Uint8Array<ArrayBuffer> });
          await w.close();
        },
        async read(into, position) {
          const file = await handle.getFile();
          into.set(new Uint8Array(await file.slice(position, position + into.byteLength).arrayBuffer()));
        },
        // close() of each write already committed it; there is no fsync to call from a page.
        sync: () => Promise.resolve(),
        evictCache: () => Promise.resolve(null),
        close: () => root.removeEntry(name),
      };
    },
  };
}
