import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { boundedInteger, boundedNumber, RUN_BOUNDS, runLabel } from './options.js';
import { gitSource } from '../platform/gitSource.js';
import { writeFileAtomic, writeFileAtomicSync } from '../platform/atomicFile.js';
import { NoAdapterError } from '../gpu/acquire.js';
import { createNodeGpuJs, nodeRunEnvironment, toolVersion } from '../platform/node.js';
import { renderJson } from '../reporters/json.js';
import { renderRunTable, shouldUseColor } from '../reporters/console.js';
import type { RunResult } from '../results/schema.js';
import { runSuites } from '../runner/run.js';
import { registeredSuites, UnknownSuiteError, resolveSuites } from '../suites/index.js';
import { addDeviceOptions, openDevice, type DeviceFlags } from './device.js';
import { ExitCode } from './exitCodes.js';
import { renderProbe } from './probeReport.js';
import { probeTimer } from '../gpu/probeTimer.js';
import { createProgress } from './progress.js';
import { renderPeaks } from './calibrate.js';
import { calibrationDir, loadCalibration, saveCalibration } from '../platform/calibrationStore.js';
import { calibrationFromRun, calibrationKey, calibrationRounds, calibrationSuites } from '../probe/calibration.js';
import { runPeaks } from '../probe/profile.js';
import type { AcquiredDevice } from '../gpu/acquire.js';

import type { Io } from './io.js';
import { addAnalysisCommands } from './analysis.js';
import { addServeCommand } from './serve.js';
import { addNoiseCommand } from './noiseCheck.js';
import { addTuneCommand, tunedShapesFor } from './tune.js';
import { reportOutputs, writeReports, type ReportFlags } from './files.js';
import { guardOutputs } from './outputs.js';
import { onInterrupt, type Interrupt } from './interrupt.js';
import { InputError } from '../ci/gateConfig.js';
import { tmpdir } from 'node:os';
import { createNodeScratchStorage, sweepStaleScratch } from '../platform/scratchStorage.js';
import { createKvTierSuite } from '../suites/kvtier.js';
import { createPeersSuite } from '../suites/peers.js';
import { createLlmSuite, type DecodeStepShape } from '../suites/llm.js';
import type { LinearKernels } from '../llm/engine.js';
import { MODEL_PRESETS } from '../models/presets.js';

/** Disk the kvtier suite may use at once (largest transfer plus the simulation's disk tier). */
const KVTIER_DISK_BYTES = 768 * 1024 * 1024;
const KVTIER_DISK_QUICK_BYTES = 64 * 1024 * 1024;

/** Beyond these a decode step's KV cache alone would not fit any device's memory. */
const DECODE_STEP_MAX = { batch: 4096, context: 1 << 20 } as const;

/** `BxC`: sequences × context tokens of the llm suite's timed decode step. */
function decodeStepShape(value: string): DecodeStepShape {
  const m = /^(\d+)x(\d+)$/.exec(value);
  const batch = Number(m?.[1]);
  const context = Number(m?.[2]);
  if (
    m === null ||
    !(batch >= 1 && batch <= DECODE_STEP_MAX.batch) ||
    !(context >= 1 && context <= DECODE_STEP_MAX.context)
  ) {
    throw new InvalidArgumentError(
      `--decode-step takes BATCHxCONTEXT with 1–${DECODE_STEP_MAX.batch} sequences and ` +
        `1–${DECODE_STEP_MAX.context} context tokens, e.g. 1x1024 (one sequence over 1024 tokens); got ` +
        `"${value}"`,
    );
  }
  return { batch, context };
}

interface PeakFlags {
  calibrationDir?: string;
  calibration: boolean;
}

/** One line per case that ran on a tuned shape, so a reader sees which figures are tuned. */
function tunedLines(run: RunResult, file: string | null): string[] {
  const tuned = run.cases.filter((c) => c.params['source'] === 'tuned');
  if (tuned.length === 0) return [];
  const shape = (p: RunResult['cases'][number]['params']): string => {
    if (p['tile'] !== undefined) return `tile ${String(p['tile'])}`;
    if (p['staged'] !== undefined) return String(p['staged']);
    if (p['gemvSplits'] !== undefined)
      return (
        `${String(p['gemvSplits'])}-way split-K (target ${String(p['gemvTargetWorkgroups'])}), ` +
        `${String(p['gemvColumns'])} columns per workgroup`
      );
    if (p['subgroups'] !== undefined) return `${String(p['subgroups'])} subgroups per workgroup`;
    return `wg ${String(p['workgroupSize'])} × ${String(p['elementsPerThread'])}/thread`;
  };
  return [
    `tuned shapes (${file ?? 'wgbench tune'}; --no-tuning for the defaults):`,
    ...tuned.map((c) => `  ${c.id}: ${shape(c.params)}`),
  ];
}

/** The calibrated (unless --no-calibration) and datasheet peaks for this device. */
function peaksFor(acquired: AcquiredDevice, flags: PeakFlags, io: Io): ReturnType<typeof runPeaks> {
  const dir = calibrationDir(flags.calibrationDir, io.env);
  const stored = flags.calibration
    ? loadCalibration(dir, calibrationKey(acquired.info), (why) => io.stderr.write(`wgbench: ${why}\n`))
    : null;
  return runPeaks(acquired.info, stored);
}

interface RunFlags extends DeviceFlags, PeakFlags, ReportFlags {
  tuning: boolean;
  suite: string;
  scratchDir: string;
  dropCaches: boolean;
  model?: string;
  decodeStep?: DecodeStepShape;
  llmKernels?: LinearKernels;
  quick: boolean;
  passes?: number;
  noise?: number;
  minCaseMs?: number;
  maxCaseMs?: number;
  warmup?: number;
  targetPassMs?: number;
  seed?: number;
  label?: string;
  progress: boolean;
  canary: boolean;
}

/** The exit code of a run; an interrupted one exits 128 + the signal that stopped it. */
function exitCodeFor(run: RunResult, interrupt?: Interrupt): number {
  if (run.status === 'device-lost') return ExitCode.DEVICE_LOST;
  if (run.status === 'interrupted') return interrupt?.received() ? interrupt.exitCode() : ExitCode.INTERRUPTED;
  return run.cases.some((c) => c.status === 'failed' || c.status === 'error') ? ExitCode.CASE_FAILED : ExitCode.OK;
}

async function commandRun(flags: RunFlags, io: Io): Promise<number> {
  const suites = resolveSuites(flags.suite).map((s) => {
    if (s.name === 'kvtier' && flags.model !== undefined) return createKvTierSuite({ model: flags.model });
    if (
      s.name === 'llm' &&
      (flags.model !== undefined || flags.decodeStep !== undefined || flags.llmKernels !== undefined)
    ) {
      return createLlmSuite({
        ...(flags.model !== undefined ? { model: flags.model } : {}),
        ...(flags.decodeStep !== undefined ? { decodeStep: flags.decodeStep } : {}),
        ...(flags.llmKernels !== undefined ? { linearKernels: flags.llmKernels } : {}),
      });
    }
    return s;
  });
  if (flags.model !== undefined && !(flags.model in MODEL_PRESETS)) {
    throw new InputError(
      '--model',
      flags.model,
      `unknown model "${flags.model}"; presets: ${Object.keys(MODEL_PRESETS).join(', ')}`,
    );
  }
  // Every output is checked before the device is touched: nothing measured can be lost to a bad path.
  guardOutputs(reportOutputs(flags), []);
  const storage = createNodeScratchStorage(flags.scratchDir, { dropCaches: flags.dropCaches });
  for (const stale of sweepStaleScratch(flags.scratchDir))
    io.stderr.write(`wgbench: removed ${stale}, left by a run that was killed\n`);
  if (suites.some((s) => s.name === 'kvtier')) {
    // Refused up front, before any device work: a run must not fail halfway for lack of disk.
    const refusal = await storage.refuse(flags.quick ? KVTIER_DISK_QUICK_BYTES : KVTIER_DISK_BYTES);
    if (refusal !== null) throw new InputError('--scratch-dir', flags.scratchDir, refusal);
  }
  const acquired = await openDevice(flags);
  const tuned = await tunedShapesFor(acquired, flags, io);
  // gpu.js gets the adapter source this run chose, so its row is measured on the same adapter.
  const planned = suites.map((s) =>
    s.name === 'peers' ? createPeersSuite({ gpuJs: createNodeGpuJs(acquired), gpuJsModes: ['webgpu'] }) : s,
  );
  const color = shouldUseColor(io.stdout, io.env);
  let latest: RunResult | null = null;
  const save = async (run: RunResult): Promise<void> => {
    latest = run;
    if (flags.json !== undefined) await writeFileAtomic(flags.json, renderJson(run));
  };
  // A second signal cannot wait for the run: the last saved state, marked interrupted, is written now.
  const interrupt = onInterrupt(io, () => {
    if (flags.json === undefined || latest === null) return;
    const run: RunResult = {
      ...latest,
      status: 'interrupted',
      message: 'stopped by a second signal; the cases before it are kept',
      finishedAt: new Date().toISOString(),
    };
    writeFileAtomicSync(flags.json, renderJson(run));
  });
  const progress = createProgress(io.stderr, flags.progress);
  try {
    const env = {
      ...nodeRunEnvironment(acquired, storage),
      peaks: peaksFor(acquired, flags, io),
      ...(tuned === null ? {} : { tuned: tuned.shapes }),
      source: { ...gitSource(), label: flags.label ?? null },
    };
    const run = await runSuites(env, {
      suites: planned,
      quick: flags.quick,
      ...(flags.passes === undefined ? {} : { passes: flags.passes }),
      ...(flags.noise === undefined ? {} : { noiseTarget: flags.noise / 100 }),
      ...(flags.minCaseMs === undefined ? {} : { minTimeMs: flags.minCaseMs }),
      ...(flags.maxCaseMs === undefined ? {} : { maxTimeMs: flags.maxCaseMs }),
      ...(flags.warmup === undefined ? {} : { warmupPasses: flags.warmup }),
      ...(flags.targetPassMs === undefined ? {} : { targetPassMs: flags.targetPassMs }),
      ...(flags.seed === undefined ? {} : { seed: flags.seed }),
      canary: flags.canary,
      signal: interrupt.signal,
      onProgress: progress.onEvent,
      onStart: save,
      onCaseDone: save,
    });
    progress.stop();
    await save(run);
    io.stdout.write(`${renderRunTable(run, { color })}\n`);
    for (const line of tunedLines(run, tuned?.file ?? null)) io.stdout.write(`${line}\n`);
    for (const line of await writeReports(run, flags)) io.stdout.write(`${line}\n`);
    return exitCodeFor(run, interrupt);
  } finally {
    progress.stop();
    interrupt.dispose();
    acquired.device.destroy();
  }
}

interface CalibrateFlags extends DeviceFlags {
  calibrationDir?: string;
  tuning: boolean;
  quick: boolean;
  show: boolean;
  json?: string;
  progress: boolean;
}

async function commandCalibrate(flags: CalibrateFlags, io: Io): Promise<number> {
  const dir = calibrationDir(flags.calibrationDir, io.env);
  if (!flags.show)
    guardOutputs(
      [
        { flag: '--calibration-dir', path: dir, directory: true },
        { flag: '--json', path: flags.json },
      ],
      [],
    );
  const acquired = await openDevice(flags);
  const color = shouldUseColor(io.stdout, io.env);
  const key = calibrationKey(acquired.info);
  try {
    if (flags.show) {
      const stored = loadCalibration(dir, key, (why) => io.stderr.write(`wgbench: ${why}\n`));
      io.stdout.write(
        `device: ${acquired.info.description || acquired.info.device} (calibration key ` +
          `${key})\n${renderPeaks(runPeaks(acquired.info, stored), color, stored?.profile.bestKernels)}\n`,
      );
      return ExitCode.OK;
    }
    const progress = createProgress(io.stderr, flags.progress);
    // Interrupted, nothing is saved: a profile from half a calibration would mislead every later run.
    const interrupt = onInterrupt(io, () => undefined);
    let run: RunResult;
    try {
      const tuned = await tunedShapesFor(acquired, flags, io);
      run = await runSuites(
        { ...nodeRunEnvironment(acquired), ...(tuned === null ? {} : { tuned: tuned.shapes }) },
        {
          suites: calibrationSuites(acquired.info, flags.quick),
          quick: flags.quick,
          rounds: calibrationRounds(flags.quick),
          canary: true,
          onProgress: progress.onEvent,
          signal: interrupt.signal,
        },
      );
    } finally {
      progress.stop();
      interrupt.dispose();
    }
    if (flags.json !== undefined) await writeFileAtomic(flags.json, renderJson(run));
    if (run.status !== 'complete') {
      io.stderr.write(`wgbench: calibration did not complete (${run.status}); nothing saved\n`);
      return exitCodeFor(run, interrupt);
    }
    const profile = calibrationFromRun(run, key);
    const file = await saveCalibration(dir, profile);
    const shapes = (profile.probeShapes ?? []).map((p) => `probe shape, ${p.unit}: ${p.note}\n`).join('');
    const touched = run.canary?.touchedCases ?? 0;
    // A peak measured while something else had the device reads low, and every later MFU high.
    const moved =
      touched === 0
        ? ''
        : `wgbench: the canary moved ${run.canary?.maxDriftPct.toFixed(1) ?? '?'}% during the calibration, past ` +
          `the noise of ${touched} case${touched === 1 ? '' : 's'}: the device was busy or its clock moved, so ` +
          `these peaks may read low; calibrate again when it is quiet\n`;
    io.stdout.write(
      `${renderRunTable(run, { color })}\n\ncalibration saved to ` +
        `${file}\n${renderPeaks(runPeaks(acquired.info, { profile, file }), color, profile.bestKernels)}\n${shapes}`,
    );
    io.stderr.write(moved);
    return run.cases.some((c) => c.status === 'failed' || c.status === 'error') ? ExitCode.CASE_FAILED : ExitCode.OK;
  } finally {
    acquired.device.destroy();
  }
}

async function commandProbe(flags: DeviceFlags & PeakFlags & { json: boolean }, io: Io): Promise<number> {
  const acquired = await openDevice(flags);
  try {
    const timer = await probeTimer(acquired.device);
    const report = {
      device: acquired.info,
      timer,
      tried: acquired.tried,
      calibrationKey: calibrationKey(acquired.info),
      peaks: peaksFor(acquired, flags, io),
    };
    io.stdout.write(
      flags.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : `${renderProbe(report, shouldUseColor(io.stdout, io.env))}\n`,
    );
    return ExitCode.OK;
  } finally {
    acquired.device.destroy();
  }
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('wgbench')
    .description('WebGPU hardware microbenchmarks: bandwidth, matmul, attention, with MFU/MBU and LLM latency metrics')
    .version(toolVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  addDeviceOptions(
    program
      .command('probe')
      .description('show the adapter, backend, features, limits, and the timer kind and resolution')
      .option('--json', 'print the probe as JSON', false)
      .option(
        '--calibration-dir <dir>',
        'where calibration profiles are kept (default: $WGBENCH_CALIBRATION_DIR or ~/.config/wgbench/calibration)',
      )
      .option('--no-calibration', 'ignore the stored calibration'),
  ).action(async (flags: DeviceFlags & PeakFlags & { json: boolean }) => {
    setExit(await commandProbe(flags, io));
  });

  addDeviceOptions(
    program
      .command('calibrate')
      .description("measure this device's peaks (FMA f32/f16, matmul per unit, bandwidth) and save them for later runs")
      .option('--show', 'print the stored calibration beside the datasheet, without measuring', false)
      .option('--quick', 'smaller work: keeps a CPU-adapter calibration short', false)
      .option('--json <file>', 'also write the calibration run as results JSON')
      .option(
        '--calibration-dir <dir>',
        'where calibration profiles are kept (default: $WGBENCH_CALIBRATION_DIR or ~/.config/wgbench/calibration)',
      )
      .option('--no-tuning', 'measure with the built-in launch shapes, not those `wgbench tune` stored for this device')
      .option('--no-progress', 'no progress display on stderr'),
  ).action(async (flags: CalibrateFlags) => {
    setExit(await commandCalibrate(flags, io));
  });

  addDeviceOptions(
    program
      .command('run')
      .description('run benchmark suites on the best adapter and print a table per suite')
      .option(
        '--suite <list>',
        `comma-separated suites (${registeredSuites()
          .map((s) => s.name)
          .join(', ')})`,
        registeredSuites()
          .map((s) => s.name)
          .join(','),
      )
      .option('--quick', 'small sizes and a short time per case: keeps a CPU-adapter run short', false)
      .option('--json <file>', 'write results as JSON (atomically, after every case)')
      .option('--html <file>', 'write a self-contained HTML report: roofline, bandwidth plot, table')
      .option('--md <file>', 'write a Markdown report (CI job summary, pull-request comment)')
      .option('--junit <file>', 'write JUnit XML: one test case per benchmark case')
      .option('--trace <file>', 'write a Chrome trace (open in Perfetto): a span per case and per timed pass')
      .option('--gh-bench <file>', 'write github-action-benchmark JSON (customBiggerIsBetter: GB/s, TFLOP/s)')
      .option('--gh-bench-time <file>', 'write github-action-benchmark JSON (customSmallerIsBetter: ns per dispatch)')
      .addOption(
        new Option(
          '--noise <percent>',
          `time each case until the 95% interval of its median is within ±this percent, ` +
            `${RUN_BOUNDS.noisePct[0]}–${RUN_BOUNDS.noisePct[1]} (default: 0.5 on a GPU, 1 on a CPU adapter; ` +
            `1 and 3 with --quick)`,
        )
          .argParser(boundedNumber('--noise', ...RUN_BOUNDS.noisePct))
          .conflicts('passes'),
      )
      .addOption(
        new Option(
          '--min-case-ms <ms>',
          'timed work each case gathers at least before its noise may stop it (default 500 GPU, 250 CPU)',
        )
          .argParser(boundedInteger('--min-case-ms', ...RUN_BOUNDS.caseTimeMs))
          .conflicts('passes'),
      )
      .addOption(
        new Option(
          '--max-case-ms <ms>',
          "wall-clock limit of a case's timing; a case stopped by it is marked † (default 10000 GPU, 2000 CPU; " +
            '1000 and 200 with --quick)',
        )
          .argParser(boundedInteger('--max-case-ms', 1, RUN_BOUNDS.caseTimeMs[1]))
          .conflicts('passes'),
      )
      .option(
        '--passes <n>',
        `a fixed number of timed passes per case instead of the noise rule, ` +
          `${RUN_BOUNDS.passes[0]}–${RUN_BOUNDS.passes[1]} (the noise reached is still recorded)`,
        boundedInteger('--passes', ...RUN_BOUNDS.passes),
      )
      .option(
        '--no-canary',
        'do not read the canary (a fixed FMA kernel timed before the first case and after each one, whose ' +
          'drift marks the cases a clock change or a busy neighbour may have moved)',
      )
      .option(
        '--warmup <n>',
        `warm-up passes per case, ${RUN_BOUNDS.warmup[0]}–${RUN_BOUNDS.warmup[1]} (default 2, 1 with --quick)`,
        boundedInteger('--warmup', ...RUN_BOUNDS.warmup),
      )
      .option(
        '--target-pass-ms <n>',
        `dispatches per pass are chosen to fill about this long, ` +
          `${RUN_BOUNDS.targetPassMs[0]}–${RUN_BOUNDS.targetPassMs[1]} ms (default 100, 20 with --quick)`,
        boundedInteger('--target-pass-ms', ...RUN_BOUNDS.targetPassMs),
      )
      .option(
        '--seed <n>',
        'seed of the random inputs, 0 to 2^32 − 1 (default: fresh each run)',
        boundedInteger(
          '--seed',
          RUN_BOUNDS.seed[0],
          RUN_BOUNDS.seed[1],
          'the generators take 32 bits; larger seeds would alias',
        ),
      )
      .option(
        '--label <text>',
        'a label recorded with the run beside its git commit and branch (a build name, a PR number)',
        runLabel,
      )
      .option('--no-progress', 'no progress display on stderr')
      .option(
        '--calibration-dir <dir>',
        'where calibration profiles are kept (default: $WGBENCH_CALIBRATION_DIR or ~/.config/wgbench/calibration)',
      )
      .option('--no-calibration', 'divide by the datasheet peaks only, ignoring the stored calibration')
      .option('--no-tuning', 'run the built-in launch shapes, not those `wgbench tune` stored for this device')
      .option(
        '--scratch-dir <dir>',
        "folder for the kvtier suite's disk-tier scratch files (removed afterwards)",
        tmpdir(),
      )
      .option(
        '--drop-caches',
        'kvtier: drop the OS page cache before timed disk reads (root only), for cold reads',
        false,
      )
      .option(
        '--model <name>',
        `llm: model to serve and step; kvtier: model whose KV block size to use ` +
          `(${Object.keys(MODEL_PRESETS).join(', ')})`,
      )
      .addOption(
        new Option(
          '--llm-kernels <family>',
          'llm: linear-layer kernels (default: naive on a CPU adapter, gpu elsewhere)',
        ).choices(['gpu', 'naive']),
      )
      .option(
        '--decode-step <BxC>',
        "llm: the timed decode step's sequences × context tokens (default 1x1024, 1x64 with --quick or on " +
          'a CPU adapter)',
        decodeStepShape,
      ),
  ).action(async (flags: RunFlags) => {
    setExit(await commandRun(flags, io));
  });

  addAnalysisCommands(program, io, setExit);
  addServeCommand(program, io, setExit);
  addTuneCommand(program, io, setExit);
  addNoiseCommand(program, io, setExit);

  program
    .command('suites')
    .description('list the suites')
    .action(() => {
      for (const s of registeredSuites()) io.stdout.write(`${s.name.padEnd(10)} ${s.description}\n`);
      setExit(ExitCode.OK);
    });
  return program;
}

/** Runs the CLI and returns its exit code; never calls process.exit itself. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let code: number = ExitCode.OK;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return ExitCode.OK;
      return ExitCode.USAGE;
    }
    if (e instanceof UnknownSuiteError || e instanceof InputError) {
      io.stderr.write(`wgbench: ${e.message}\n`);
      return ExitCode.USAGE;
    }
    if (e instanceof NoAdapterError) {
      io.stderr.write(`wgbench: ${e.message}\n`);
      return ExitCode.NO_ADAPTER;
    }
    io.stderr.write(`wgbench: ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.CASE_FAILED;
  }
}
