// The kvtier check on a GPU machine, sized to fit a short lease: DDR↔HBM and HBM↔HBM at the sizes
// the PyTorch reference uses, the disk paths at 16 MiB, and the tiered-cache simulation.
// Usage: node bench/kvtier-device.mjs OUT.json [scratch dir]
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  acquireDevice,
  createKvTierSuite,
  createNodeGpuProvider,
  createNodeScratchStorage,
  nodeRunEnvironment,
  renderJson,
  renderRunTable,
  runSuites,
} from '../dist/node.js';

const MiB = 1024 * 1024;
const [out, scratch = tmpdir()] = process.argv.slice(2);
const acquired = await acquireDevice(createNodeGpuProvider());
const env = nodeRunEnvironment(acquired, createNodeScratchStorage(scratch));
const suites = [
  createKvTierSuite({
    model: 'llama-3-8b',
    sizesBytes: [MiB, 16 * MiB, 256 * MiB],
    paths: ['hbm-copy', 'hbm-gather', 'ddr-to-hbm-write', 'ddr-to-hbm-staging', 'ddr-to-hbm-ring', 'hbm-to-ddr'],
    simulation: false,
  }),
  createKvTierSuite({
    model: 'llama-3-8b',
    sizesBytes: [16 * MiB],
    paths: ['ddr-to-nvme', 'nvme-to-ddr', 'nvme-to-hbm', 'hbm-to-nvme'],
    simulation: true,
  }),
  // The ring at other depths (4 is the default above): where overlapping copies with the host's
  // writes starts to pay at 16 MiB, the size the target starts at.
  ...[2, 8].map((ringDepth) => {
    const suite = createKvTierSuite({
      model: 'llama-3-8b',
      sizesBytes: [16 * MiB],
      paths: ['ddr-to-hbm-ring'],
      simulation: false,
      ringDepth,
    });
    return {
      ...suite,
      plan: (ctx) =>
        suite
          .plan(ctx)
          .map((c) => ({ ...c, id: `${c.id}/ring=${ringDepth}`, name: `${c.name}, ring of ${ringDepth}` })),
    };
  }),
];
const run = await runSuites(env, { suites, quick: true, passes: 10, targetPassMs: 50 });
writeFileSync(out, renderJson(run));
console.log(renderRunTable(run, { color: false }));
acquired.device.destroy();
