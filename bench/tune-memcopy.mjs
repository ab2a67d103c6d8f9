// Sweeps workgroup size and elements per thread for the memcopy kernels at one buffer size, so
// the planned defaults can be chosen from measurements. Every configuration is checked first.
// Usage: node bench/tune-memcopy.mjs [MiB] [OUT.json]
import { writeFileSync } from 'node:fs';
import {
  acquireDevice,
  createMemcopySuite,
  createNodeGpuProvider,
  nodeRunEnvironment,
  runSuites,
} from '../dist/node.js';

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 1024) * MiB;
const out = process.argv[3];
const configs = [
  [256, 1],
  [256, 2],
  [256, 4],
  [256, 8],
  [256, 16],
  [128, 4],
  [512, 4],
  [1024, 4],
  [512, 8],
  [1024, 2],
];
const acquired = await acquireDevice(createNodeGpuProvider());
const env = nodeRunEnvironment(acquired);
const rows = [];
for (const [workgroupSize, elementsPerThread] of configs) {
  const run = await runSuites(env, {
    suites: [createMemcopySuite({ sizesBytes: [size], workgroupSize, elementsPerThread })],
    quick: false,
  });
  for (const c of run.cases) {
    const row = {
      kernel: c.params.kernel,
      workgroupSize,
      elementsPerThread,
      status: c.status,
      medianGBps: c.bandwidth?.medianGBps ?? null,
      cv: c.summary?.cv ?? null,
    };
    rows.push(row);
    console.log(
      `${row.kernel.padEnd(5)} wg=${String(workgroupSize).padEnd(4)} ` +
        `ept=${String(elementsPerThread).padEnd(3)} ${c.status} ${row.medianGBps?.toFixed(1) ?? '-'} GB/s cv ` +
        `${(row.cv ?? 0).toFixed(4)}`,
    );
  }
}
if (out) writeFileSync(out, JSON.stringify({ device: acquired.info.description, sizeBytes: size, rows }, null, 2));
acquired.device.destroy();
