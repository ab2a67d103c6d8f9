// The kvtier check on a GPU machine, sized to fit a short lease: DDR↔HBM and HBM↔HBM at the sizes
// the PyTorch reference uses, the disk paths at 16 MiB, and the tiered-cache simulation.
// Usage: node bench/kvtier-device.mjs OUT.json [scratch dir]
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { acquireDevice, createKvTierSuite, createNodeGpuProvider, createNodeScratchStorage, nodeRunEnvironment, renderJson, renderRunTable, runSuites } from '../dist/index.js';

const MiB = 1024 * 1024;
const [out, scratch = tmpdir()] = process.argv.slice(2);
const acquired = await acquireDevice(createNodeGpuProvider());
const env = nodeRunEnvironment(acquired, createNodeScratchStorage(scratch));
const suites = [
  createKvTierSuite({ model: 'llama-3-8b', sizesBytes: [MiB, 16 * MiB, 256 * MiB], paths: ['hbm-copy', 'hbm-gather', 'ddr-to-hbm-write', 'ddr-to-hbm-staging', 'ddr-to-hbm-ring', 'hbm-to-ddr'], simulation: false }),
  createKvTierSuite({ model: 'llama-3-8b', sizesBytes: [16 * MiB], paths: ['ddr-to-nvme', 'nvme-to-ddr', 'nvme-to-hbm', 'hbm-to-nvme'], simulation: true }),
];
const run = await runSuites(env, { suites, quick: true, passes: 10, targetPassMs: 50 });
writeFileSync(out, renderJson(run));
console.log(renderRunTable(run, { color: false }));
acquired.device.destroy();
