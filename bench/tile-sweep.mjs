// The tiled f32 kernel over a few tile shapes (some software-pipelined) at one size, each checked,
// then timed. Usage:
//   node bench/tile-sweep.mjs OUT.json [size, default 4096]
import { writeFileSync } from 'node:fs';
import {
  acquireDevice,
  createNodeGpuProvider,
  nodeRunEnvironment,
  renderJson,
  renderRunTable,
  runSuites,
} from '../dist/node.js';
import { createMatmulSuite, tileLabel } from '../dist/suites/matmul.js';

const out = process.argv[2];
const n = Number(process.argv[3] ?? 4096);
const tiles = [
  { M: 128, N: 128, K: 8, vecM: 2, vecN: 2 },
  { M: 128, N: 128, K: 16, vecM: 2, vecN: 2 },
  { M: 128, N: 64, K: 8, vecM: 2, vecN: 2 },
  { M: 64, N: 128, K: 16, vecM: 2, vecN: 2 },
  { M: 256, N: 128, K: 8, vecM: 2, vecN: 2 },
  { M: 128, N: 128, K: 8, vecM: 2, vecN: 1 },
  { M: 128, N: 128, K: 8, vecM: 2, vecN: 2, prefetch: true },
  { M: 128, N: 128, K: 16, vecM: 2, vecN: 2, prefetch: true },
  { M: 64, N: 128, K: 16, vecM: 2, vecN: 2, prefetch: true },
];
const acquired = await acquireDevice(createNodeGpuProvider());
const suites = tiles.map((tile) => {
  const suite = createMatmulSuite({ shapes: [{ M: n, N: n, K: n, label: `${n}³` }], variants: ['tiled-f32'], tile });
  return {
    ...suite,
    plan: (ctx) =>
      suite
        .plan(ctx)
        .map((c) => ({ ...c, id: `${c.id}/tile=${tileLabel(tile)}`, name: `${c.name} tile ${tileLabel(tile)}` })),
  };
});
const run = await runSuites(nodeRunEnvironment(acquired), { suites, quick: false, passes: 10, targetPassMs: 100 });
writeFileSync(out, renderJson(run));
console.log(renderRunTable(run, { color: false }));
acquired.device.destroy();
