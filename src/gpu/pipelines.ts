/**
 * Compiled pipelines per device, source, entry point and constants; a WeakMap so a destroyed device takes its cache
 * with it.
 */
const caches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

export function computePipeline(
  device: GPUDevice,
  key: string,
  code: string,
  entryPoint: string,
  constants: Record<string, number> = {},
): Promise<GPUComputePipeline> {
  let cache = caches.get(device);
  if (cache === undefined) {
    cache = new Map();
    caches.set(device, cache);
  }
  // The source is part of the key: two modules under one label must never share a pipeline.
  const fullKey = `${key}|${entryPoint}|${JSON.stringify(constants)}|${code}`;
  let pipeline = cache.get(fullKey);
  if (pipeline === undefined) {
    const module = device.createShaderModule({ code, label: key });
    pipeline = device.createComputePipelineAsync({
      layout: 'auto',
      compute: { module, entryPoint, constants },
      label: `${key}:${entryPoint}`,
    });
    // A failed compile must not poison later attempts with the same key.
    pipeline.catch(() => cache.delete(fullKey));
    cache.set(fullKey, pipeline);
  }
  return pipeline;
}
