// Which tiled-f32 tile a CPU adapter should get by default: each candidate at the CPU adapter's
// quick and full square sizes, in interleaved rounds (so machine load hits all alike), medians of
// per-dispatch time. Usage: node bench/tile-cpu.mjs [--backend vulkan|opengles|swiftshader] [rounds]
import { acquireDevice } from '../dist/gpu/acquire.js';
import { createNodeGpuProvider, nodeRunEnvironment } from '../dist/platform/node.js';
import { runSuites } from '../dist/runner/run.js';
import { createMatmulSuite } from '../dist/suites/matmul.js';

const args = process.argv.slice(2);
const b = args.indexOf('--backend');
const kinds = { vulkan: 'vulkan', swiftshader: 'vulkan-swiftshader', opengles: 'opengles' };
const backend = b >= 0 ? kinds[args[b + 1]] : undefined;
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const acquired = await acquireDevice(createNodeGpuProvider(), backend ? { backends: [backend] } : {});
const env = nodeRunEnvironment(acquired);
const tiles = {
  '128x128/8x8': { M: 128, N: 128, K: 8, vecM: 2, vecN: 2 },
  '64x64/8x8': { M: 64, N: 64, K: 8, vecM: 2, vecN: 2 },
  '64x64/4x4': { M: 64, N: 64, K: 8, vecM: 1, vecN: 1 },
  '32x32/4x4': { M: 32, N: 32, K: 8, vecM: 1, vecN: 1 },
};
const results = {};
for (let r = 0; r < rounds; r++) {
  for (const n of [256, 512]) {
    for (const [label, tile] of Object.entries(tiles)) {
      const suite = createMatmulSuite({ shapes: [{ M: n, N: n, K: n, label: `${n}` }], variants: ['tiled-f32'], tile });
      const run = await runSuites(env, { suites: [suite], quick: true, passes: 5 });
      const c = run.cases[0];
      const key = `${n}³ ${label}`;
      (results[key] ??= []).push(c.status === 'ok' ? c.summary.p50 : NaN);
    }
  }
}
console.log(
  `${acquired.info.description} via ${acquired.info.backend}; ${rounds} interleaved rounds, median of ` +
    `round medians (ms), GFLOP/s`,
);
for (const [key, xs] of Object.entries(results)) {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)];
  const n = Number(key.split('³')[0]);
  console.log(
    `${key.padEnd(18)} ${(med / 1e6).toFixed(3)} ms  ${((2 * n ** 3) / med).toFixed(2)} GFLOP/s  (rounds: ` +
      `${s.map((x) => (x / 1e6).toFixed(2)).join(', ')})`,
  );
}
acquired.device.destroy();
process.exit(0);
