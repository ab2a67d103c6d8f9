import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import type { AdapterCandidate, GpuProvider } from '../gpu/provider.js';
import type { ReportAssets } from '../reporters/html.js';
import type { RunEnvironment } from '../runner/run.js';
import { acquireDevice, type AcquiredDevice } from '../gpu/acquire.js';
import { adapterLabel, type GpuJsFactory, type GpuJsInstance } from '../suites/peers.js';

/** src/platform and dist/platform both sit two folders below the package root. */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KERNELS_DIR = join(packageRoot, 'kernels');

/**
 * Dawn toggles on by default for benchmarking: exact timestamps (Dawn otherwise rounds them, to
 * 65,536 ns on an H100), f16 on NVIDIA's Vulkan driver, and experimental features such as
 * subgroup matrices.
 */
export const DEFAULT_DAWN_TOGGLES = {
  enabled: ['allow_unsafe_apis', 'vulkan_enable_f16_on_nvidia'],
  disabled: ['timestamp_quantization'],
} as const;

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Where SwiftShader's Vulkan driver comes from: Debian's Chromium, else the Chromium that the npm
 * package @sparticuz/chromium ships (a dev dependency: unpacked into the temp folder on first use,
 * SwiftShader beside it). Dawn still needs the Vulkan loader (libvulkan1) to open either.
 */
function swiftShaderSource(): { from: string; icd: () => Promise<string | null> } | null {
  if (existsSync(SWIFTSHADER_ICD)) return { from: "Debian's Chromium", icd: () => Promise.resolve(SWIFTSHADER_ICD) };
  try {
    createRequire(import.meta.url).resolve('@sparticuz/chromium');
  } catch {
    return null;
  }
  return {
    from: 'the npm Chromium',
    icd: async () => {
      const mod = (await import('@sparticuz/chromium')) as unknown as {
        default: { executablePath: () => Promise<string> };
      };
      await mod.default.executablePath();
      const icd = join(tmpdir(), 'vk_swiftshader_icd.json');
      return existsSync(icd) ? icd : null;
    },
  };
}

export const NODE_INSTALL_HINT = [
  'Install one of these, in order of preference:',
  '  1. A GPU driver with Vulkan (NVIDIA, AMD, Intel), and the Vulkan loader: apt-get install -y libvulkan1',
  '  2. A CPU Vulkan driver, Mesa lavapipe (Debian 12 needs Mesa 25 from bookworm-backports):',
  '       echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/backports.list',
  '       apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1',
  '     or SwiftShader from Chromium: apt-get install -y chromium libvulkan1',
  "  3. Mesa's EGL for the OpenGL ES fallback: apt-get install -y libegl1 libegl-mesa0 libgles2",
].join('\n');

export interface NodeGpuOptions {
  /** Extra toggles to enable or disable on top of (or instead of) the defaults. */
  enable?: readonly string[];
  disable?: readonly string[];
  /** Drop the default toggles, e.g. to see what an unconfigured Dawn reports. */
  noDefaultToggles?: boolean;
}

let globalsInstalled = false;

/** Dawn's constants (GPUBufferUsage, GPUMapMode, …) as globals, which WebGPU code expects. */
export function installWebGpuGlobals(): void {
  if (globalsInstalled) return;
  Object.assign(globalThis, globals);
  globalsInstalled = true;
}

export function dawnToggles(options: NodeGpuOptions = {}): { enabled: string[]; disabled: string[] } {
  const base = options.noDefaultToggles === true ? { enabled: [], disabled: [] } : DEFAULT_DAWN_TOGGLES;
  const enabled = [...new Set([...base.enabled, ...(options.enable ?? [])])].filter(
    (t) => !(options.disable ?? []).includes(t),
  );
  const disabled = [...new Set([...base.disabled, ...(options.disable ?? [])])].filter(
    (t) => !(options.enable ?? []).includes(t),
  );
  return { enabled, disabled };
}

function dawnArgs(toggles: { enabled: string[]; disabled: string[] }, backend: string): string[] {
  const args = [`backend=${backend}`];
  if (toggles.enabled.length > 0) args.push(`enable-dawn-features=${toggles.enabled.join(',')}`);
  if (toggles.disabled.length > 0) args.push(`disable-dawn-features=${toggles.disabled.join(',')}`);
  return args;
}

/** Dawn in Node: Vulkan (a GPU or lavapipe), then SwiftShader's Vulkan, then GL ES in compatibility mode. */
export function createNodeGpuProvider(options: NodeGpuOptions = {}): GpuProvider {
  installWebGpuGlobals();
  // Mesa warns on every start without it; any writable folder will do.
  process.env['XDG_RUNTIME_DIR'] ??= '/tmp';
  const toggles = dawnToggles(options);
  // Dawn's instance must outlive its adapters and devices: if it is garbage-collected, Dawn aborts
  // the process. Each provider keeps every instance it made.
  const instances: GPU[] = [];
  const instance = (backend: string): GPU => {
    const gpu = create(dawnArgs(toggles, backend));
    instances.push(gpu);
    return gpu;
  };
  const candidates = (): AdapterCandidate[] => {
    const list: AdapterCandidate[] = [
      {
        label: 'Dawn Vulkan',
        backend: 'vulkan',
        featureLevel: 'core',
        requestAdapter: () => instance('vulkan').requestAdapter({ powerPreference: 'high-performance' }),
      },
    ];
    const swiftshader = swiftShaderSource();
    if (swiftshader !== null) {
      list.push({
        label: `Dawn Vulkan on SwiftShader (${swiftshader.from})`,
        backend: 'vulkan-swiftshader',
        featureLevel: 'core',
        softwareOnly: true,
        requestAdapter: async () => {
          const icd = await swiftshader.icd();
          if (icd === null) return null;
          // The Vulkan loader reads the driver list from the environment when Dawn creates its
          // instance; it is put back afterwards so later instances in this process see every driver.
          const saved = {
            VK_DRIVER_FILES: process.env['VK_DRIVER_FILES'],
            VK_ICD_FILENAMES: process.env['VK_ICD_FILENAMES'],
          };
          process.env['VK_DRIVER_FILES'] = icd;
          process.env['VK_ICD_FILENAMES'] = icd;
          try {
            return await instance('vulkan').requestAdapter();
          } finally {
            if (saved.VK_DRIVER_FILES === undefined) delete process.env['VK_DRIVER_FILES'];
            else process.env['VK_DRIVER_FILES'] = saved.VK_DRIVER_FILES;
            if (saved.VK_ICD_FILENAMES === undefined) delete process.env['VK_ICD_FILENAMES'];
            else process.env['VK_ICD_FILENAMES'] = saved.VK_ICD_FILENAMES;
          }
        },
      });
    }
    list.push({
      label: 'Dawn OpenGL ES (compatibility)',
      backend: 'opengles',
      featureLevel: 'compatibility',
      requestAdapter: () => {
        process.env['EGL_PLATFORM'] ??= 'surfaceless';
        return instance('opengles').requestAdapter({ featureLevel: 'compatibility' });
      },
    });
    return list;
  };
  return { candidates, installHint: NODE_INSTALL_HINT, toggles, hostCacheBytes: hostLastLevelCacheBytes() };
}

export function loadKernelFromDisk(name: string): Promise<string> {
  if (!/^[a-z0-9_-]+$/i.test(name)) throw new Error(`invalid kernel name "${name}"`);
  return readFile(join(KERNELS_DIR, `${name}.wgsl`), 'utf8');
}

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export function nodeRunEnvironment(acquired: AcquiredDevice, storage?: RunEnvironment['storage']): RunEnvironment {
  return {
    ...(storage === undefined ? {} : { storage }),
    // Another device through the same provider: a second GPU when the machine has one.
    openDevice: async () => {
      const other = await acquireDevice(acquired.provider);
      return { device: other.device, description: other.info.description || other.info.device };
    },
    device: acquired.device,
    info: acquired.info,
    loadKernel: loadKernelFromDisk,
    platform: { runtime: `node ${process.version}`, os: `${process.platform}-${process.arch}` },
    toolVersion: toolVersion(),
    readHostRss: () => process.memoryUsage.rss(),
  };
}

/** Chart.js's UMD build, inlined into HTML reports so they open offline. */
export function chartJsSource(): string {
  // The package's exports map hides dist/; its main entry sits beside the UMD build.
  const main = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

/**
 * What an HTML report inlines to open offline: Chart.js, then its annotation plugin (whose UMD
 * build registers itself with the Chart global), and the view's stylesheet shared with the page.
 */
const ANNOTATION_FILE = 'chartjs-plugin-annotation.min.js';

export function reportAssets(): ReportAssets {
  const annotation = createRequire(import.meta.url).resolve('chartjs-plugin-annotation');
  return {
    chartJs: `${chartJsSource()}\n${readFileSync(join(dirname(annotation), ANNOTATION_FILE), 'utf8')}`,
    css: readFileSync(join(packageRoot, 'src', 'view', 'view.css'), 'utf8'),
  };
}

/**
 * gpu.js for the peers suite: its WebGPU backend asks navigator.gpu, which Node lacks, for an
 * adapter. It is given one that hands out the run's own adapter source (same backend, same
 * driver list, same toggles), so the peer is timed on the adapter the rest of the table ran on,
 * and the adapter gpu.js got is recorded. WebGL2 needs a page.
 */
export function createNodeGpuJs(acquired: Pick<AcquiredDevice, 'candidate'>): GpuJsFactory {
  return async (mode) => {
    if (mode !== 'webgpu') throw new Error('gpu.js WebGL2 needs a browser page');
    installWebGpuGlobals();
    let seen: string | null = null;
    const gpu = {
      requestAdapter: async (): Promise<GPUAdapter | null> => {
        const adapter = await acquired.candidate.requestAdapter();
        if (adapter !== null) seen = adapterLabel(adapter.info, acquired.candidate.backend);
        return adapter;
      },
      getPreferredCanvasFormat: (): GPUTextureFormat => 'rgba8unorm',
      wgslLanguageFeatures: new Set<string>(),
    };
    const g = globalThis as { navigator?: unknown };
    const previous = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...((g.navigator as object | undefined) ?? {}), gpu },
      configurable: true,
      writable: true,
    });
    const mod = (await import('gpu.js')) as unknown as { GPU: new (o: { mode: string }) => GpuJsInstance };
    return {
      gpu: new mod.GPU({ mode: 'webgpu' }),
      adapter: () => seen,
      // A navigator.gpu left behind keeps Dawn objects reachable and the process alive.
      release: () => {
        if (previous === undefined) Reflect.deleteProperty(globalThis, 'navigator');
        else Object.defineProperty(globalThis, 'navigator', previous);
      },
    };
  };
}

const UNIT_BYTES: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** The largest, highest-level cache of CPU 0 from sysfs (Linux); null where it cannot be read. */
export function hostLastLevelCacheBytes(root = '/sys/devices/system/cpu/cpu0/cache'): number | null {
  let best: { level: number; bytes: number } | null = null;
  let entries: string[];
  try {
    entries = readdirSync(root).filter((n) => n.startsWith('index'));
  } catch {
    return null;
  }
  for (const entry of entries) {
    try {
      const level = Number(readFileSync(join(root, entry, 'level'), 'utf8').trim());
      const m = /^(\d+)([KMG]?)$/.exec(readFileSync(join(root, entry, 'size'), 'utf8').trim());
      if (m === null || !Number.isFinite(level)) continue;
      const bytes = Number(m[1]) * (UNIT_BYTES[m[2] ?? ''] ?? 1);
      if (best === null || level > best.level || (level === best.level && bytes > best.bytes)) best = { level, bytes };
    } catch {
      // an unreadable entry: the others may still say
    }
  }
  return best?.bytes ?? null;
}
