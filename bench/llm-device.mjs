// The 7B decode step on a GPU machine, sized for a short lease: Llama-2-7B shapes with f16
// weights, one sequence over a 1,024-token context, timed with GPU timestamps, for a few GEMV
// split targets; MBU divides by the calibrated copy bandwidth (run `wgbench calibrate` first).
// The GEMV's columns per workgroup are the ones `wgbench tune` stored for this device (gemv
// family, decode shape), if any; else the kernel's default.
// Usage: node bench/llm-device.mjs OUT.json [targets, e.g. 256,512,1024] (MODEL=, CONTEXT= override)
import { writeFileSync } from 'node:fs';
import {
  acquireDevice,
  createNodeGpuProvider,
  nodeRunEnvironment,
  renderJson,
  renderRunTable,
  runSuites,
} from '../dist/node.js';
import { calibrationDir, loadCalibration } from '../dist/platform/calibrationStore.js';
import { calibrationKey } from '../dist/probe/calibration.js';
import { runPeaks } from '../dist/probe/profile.js';
import { createLlmSuite } from '../dist/suites/llm.js';
import { tunedShapesFor } from '../dist/cli/tune.js';
import { GEMV_DEFAULT_COLUMNS4 } from '../dist/gpu/gemvPlan.js';

const out = process.argv[2];
const targets = (process.argv[3] ?? '512').split(',').map(Number);
const acquired = await acquireDevice(createNodeGpuProvider());
const stored = loadCalibration(calibrationDir(undefined, process.env), calibrationKey(acquired.info));
const env = { ...nodeRunEnvironment(acquired), peaks: runPeaks(acquired.info, stored) };
const tuned = await tunedShapesFor(
  acquired,
  { tuning: true },
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
);
const gemvColumns4 = Object.values(tuned?.shapes.gemv ?? {})[0]?.columns4;
const columnsTag = gemvColumns4 === undefined ? '' : `/gemv-columns=${4 * gemvColumns4}`;
// Each split target with the RMSNorms folded into the GEMVs, and the first one also without.
const configs = [...targets.map((t) => ({ target: t, foldNorms: true })), { target: targets[0], foldNorms: false }];
const suites = configs.map(({ target: gemvTargetWorkgroups, foldNorms }) => {
  const suite = createLlmSuite({
    model: process.env.MODEL ?? 'llama-2-7b',
    serve: false,
    decodeStep: { batch: 1, context: Number(process.env.CONTEXT ?? 1024) },
    linearKernels: 'gpu',
    gemvTargetWorkgroups,
    foldNorms,
    ...(gemvColumns4 === undefined ? {} : { gemvColumns4 }),
  });
  // One suite per configuration: tag each case so the results say which one it ran.
  const tag = `gemv-target=${gemvTargetWorkgroups}${columnsTag}${foldNorms ? '' : '/norms-unfolded'}`;
  return {
    ...suite,
    plan: (ctx) =>
      suite.plan(ctx).map((c) => ({
        ...c,
        id: `${c.id}/${tag}`,
        name: `${c.name}, GEMV target ${gemvTargetWorkgroups}${foldNorms ? '' : ', norms unfolded'}`,
        params: {
          ...c.params,
          gemvTargetWorkgroups,
          gemvColumns: 4 * (gemvColumns4 ?? GEMV_DEFAULT_COLUMNS4),
          gemvColumnsSource: gemvColumns4 === undefined ? 'default' : 'tuned',
          foldNorms,
        },
      })),
  };
});
const run = await runSuites(env, { suites, quick: false, passes: 10, targetPassMs: 100 });
writeFileSync(out, renderJson(run));
console.log(renderRunTable(run, { color: false }));
acquired.device.destroy();
