import { Option, type Command } from 'commander';
import { acquireDevice, type AcquiredDevice } from '../gpu/acquire.js';
import { createNodeGpuProvider, type NodeGpuOptions } from '../platform/node.js';

export interface DeviceFlags {
  backend?: string;
  enableToggle?: string[];
  disableToggle?: string[];
  defaultToggles: boolean;
  timestamps: boolean;
}

const BACKENDS = ['auto', 'vulkan', 'swiftshader', 'opengles'] as const;

/** The flags every device-using command shares. */
export function addDeviceOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--backend <name>', 'adapter source; auto walks GPU → CPU Vulkan → GL ES')
        .choices(BACKENDS)
        .default('auto'),
    )
    .option('--enable-toggle <toggle...>', 'extra Dawn toggles to enable')
    .option(
      '--disable-toggle <toggle...>',
      'Dawn toggles to disable (e.g. timestamp_quantization is disabled by default)',
    )
    .option(
      '--no-default-toggles',
      'do not set the benchmarking Dawn toggles (exact timestamps, f16 on NVIDIA, unsafe APIs)',
    )
    .option('--no-timestamps', 'do not request timestamp-query; time on the CPU around onSubmittedWorkDone');
}

export function deviceToggleOptions(flags: DeviceFlags): NodeGpuOptions {
  return {
    ...(flags.enableToggle === undefined ? {} : { enable: flags.enableToggle }),
    ...(flags.disableToggle === undefined ? {} : { disable: flags.disableToggle }),
    noDefaultToggles: !flags.defaultToggles,
  };
}

export function openDevice(flags: DeviceFlags): Promise<AcquiredDevice> {
  const provider = createNodeGpuProvider(deviceToggleOptions(flags));
  const backend = flags.backend ?? 'auto';
  const backends = backend === 'auto' ? undefined : [backend === 'swiftshader' ? 'vulkan-swiftshader' : backend];
  return acquireDevice(provider, {
    ...(backends === undefined ? {} : { backends }),
    ...(flags.timestamps ? {} : { withoutFeatures: ['timestamp-query'] }),
  });
}
