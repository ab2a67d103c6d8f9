import { createPassTimer, type TimerInfo } from './timer.js';

const TIMER_PROBE_PASSES = 8;

/** Times a few small passes so a probe can report the timer's kind, resolution and quantization. */
export async function probeTimer(device: GPUDevice): Promise<TimerInfo> {
  const timer = createPassTimer(device);
  try {
    const module = device.createShaderModule({
      code:
        '@group(0) @binding(0) var<storage, read_write> b: array<u32>;\n@compute @workgroup_size(64) fn ' +
        'main(@builtin(global_invocation_id) g: vec3u) { b[g.x] = b[g.x] * 3u + g.x; }',
    });
    const pipeline = await device.createComputePipelineAsync({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    const buffer = device.createBuffer({ size: 64 * 1024 * 4, usage: GPUBufferUsage.STORAGE });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer } }],
    });
    for (let i = 0; i < TIMER_PROBE_PASSES; i++) {
      await timer.timePass((pass) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(1024);
      });
    }
    buffer.destroy();
    return timer.info();
  } finally {
    timer.destroy();
  }
}
