// How the FMA peak probe's figure moves with its shape on this adapter: vec4 chains per thread
// (1, 2, 4, 8) × workgroup size (32 to 256, by capping the adapter's invocations per workgroup),
// full-size runs of 5 passes, f32 achieved GFLOP/s. `wgbench calibrate` searches the chains.
// Usage: node bench/peak-shape.mjs [--backend vulkan|opengles|swiftshader]
import { acquireDevice } from '../dist/gpu/acquire.js';
import { createNodeGpuProvider, nodeRunEnvironment } from '../dist/platform/node.js';
import { runSuites } from '../dist/runner/run.js';
import { createPeakSuite } from '../dist/suites/peak.js';

const args = process.argv.slice(2);
const b = args.indexOf('--backend');
const kinds = { vulkan: 'vulkan', swiftshader: 'vulkan-swiftshader', opengles: 'opengles' };
const backend = b >= 0 ? kinds[args[b + 1]] : undefined;
const acquired = await acquireDevice(createNodeGpuProvider(), backend ? { backends: [backend] } : {});
const env = nodeRunEnvironment(acquired);
console.log(`${acquired.info.description} via ${acquired.info.backend}, ${new Date().toISOString()}`);
console.log('workgroup | GFLOP/s at 1, 2, 4, 8 vec4 chains (cv)');
for (const wg of [32, 64, 128, 256]) {
  const info = { ...env.info, limits: { ...env.info.limits, maxComputeInvocationsPerWorkgroup: wg } };
  const run = await runSuites(
    { ...env, info },
    { suites: [createPeakSuite({ fmaChains: [1, 2, 4, 8] })], quick: false, passes: 5 },
  );
  const cells = run.cases
    .filter((c) => c.id.startsWith('peak/fma-f32') && c.status === 'ok')
    .map((c) => `${(c.compute.achievedTflops * 1e3).toFixed(1)} (${((c.summary?.cv ?? 0) * 100).toFixed(0)}%)`);
  console.log(`${wg} | ${cells.join(' | ')}`);
}
acquired.device.destroy();
