// Prints, as JSON, how long this machine's test adapter takes for a fixed piece of GPU-test work:
// acquire the device, compile the tiled f32 matmul, check it against the reference and time it
// (128×128×128, 2 passes). Compiling dominates on CPU adapters, as it does in the GPU tests, and
// the figure includes whatever else the cores are doing. Plain JavaScript over dist/ (npm test
// builds first), run in its own process so Dawn never loads into vitest's main process.
import { performance } from 'node:perf_hooks';
import { acquireDevice } from '../../dist/gpu/acquire.js';
import { createNodeGpuProvider, nodeRunEnvironment } from '../../dist/platform/node.js';
import { runSuites } from '../../dist/runner/run.js';
import { createMatmulSuite } from '../../dist/suites/matmul.js';

const kinds = { vulkan: 'vulkan', swiftshader: 'vulkan-swiftshader', opengles: 'opengles' };
const pinned = kinds[process.env.WGBENCH_TEST_BACKEND ?? ''];
const t0 = performance.now();
const acquired = await acquireDevice(createNodeGpuProvider(), pinned === undefined ? {} : { backends: [pinned] });
const suite = createMatmulSuite({ shapes: [{ M: 128, N: 128, K: 128, label: 'speed' }], variants: ['tiled-f32'] });
const run = await runSuites(nodeRunEnvironment(acquired), {
  suites: [suite],
  quick: true,
  passes: 2,
  warmupPasses: 1,
  targetPassMs: 5,
});
const seconds = (performance.now() - t0) / 1000;
const ok = run.cases.every((c) => c.status === 'ok');
process.stdout.write(
  `${JSON.stringify({ seconds, ok, backend: acquired.info.backend, device: acquired.info.description })}\n`,
);
acquired.device.destroy();
process.exit(0);
