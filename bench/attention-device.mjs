// The attention check on a GPU machine, sized for a short lease: the flash kernel at the SDPA
// comparison shape (batch 4, 32 heads, seq 4096, head dim 128, causal) in f32 and f16, and paged
// decode of a 7B-shaped KV cache (32 heads over 8 KV heads, context 4096). Usage: node … OUT.json
import { writeFileSync } from 'node:fs';
import {
  acquireDevice,
  createNodeGpuProvider,
  nodeRunEnvironment,
  renderJson,
  renderRunTable,
  runSuites,
} from '../dist/node.js';
import { createAttentionSuite } from '../dist/suites/attention.js';
import { tunedShapesFor } from '../dist/cli/tune.js';

const out = process.argv[2];
const acquired = await acquireDevice(createNodeGpuProvider());
// SMOKE=1 shrinks the shapes, to try the script on a CPU adapter before a lease.
const smoke = process.env.SMOKE === '1';
// The flash-tiled block and the staged subgroup-matrix kernel's shape (subgroups, padding,
// prefetch) that `wgbench tune` stored for this device, if any (each case records whether its
// shape was tuned or the default).
const tuned = await tunedShapesFor(
  acquired,
  { tuning: true },
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
);
const suite = createAttentionSuite({
  prefill: [
    smoke
      ? { B: 1, H: 2, Hkv: 2, T: 64, S: 64, headDim: 128 }
      : { B: 4, H: 32, Hkv: 32, T: 4096, S: 4096, headDim: 128 },
  ],
  decode: [smoke ? { B: 2, H: 4, Hkv: 2, S: 256, headDim: 128 } : { B: 8, H: 32, Hkv: 8, S: 4096, headDim: 128 }],
  kinds: [
    'flash',
    'flash-tiled',
    'flash-subgroup-matrix',
    'flash-subgroup-matrix-staged',
    'decode-paged',
    'decode-paged-thread',
  ],
  ...(tuned === null ? {} : { tunedFlashTiles: tuned.shapes.flashTiles, tunedSgmatStaged: tuned.shapes.sgmatStaged }),
});
// Only the causal prefill is compared with SDPA; drop the non-causal twin to save lease time.
const causalOnly = {
  ...suite,
  plan: (ctx) => suite.plan(ctx).filter((c) => c.params.causal !== false || String(c.params.kind).startsWith('decode')),
};
const run = await runSuites(nodeRunEnvironment(acquired), {
  suites: [causalOnly],
  quick: false,
  passes: smoke ? 2 : 10,
  targetPassMs: smoke ? 5 : 100,
});
writeFileSync(out, renderJson(run));
console.log(renderRunTable(run, { color: false }));
acquired.device.destroy();
