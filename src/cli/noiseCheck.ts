import { Option, type Command } from 'commander';
import { aaReport, describeAa, type AaReport } from '../ci/aaNoise.js';
import { gateConfigSchema, InputError, type GateConfig } from '../ci/gateConfig.js';
import { writeFileAtomic } from '../platform/atomicFile.js';
import { nodeRunEnvironment } from '../platform/node.js';
import { makeTable, shouldUseColor } from '../reporters/console.js';
import { describeDevice, describeNoise } from '../reporters/describe.js';
import type { RunResult } from '../results/schema.js';
import { runSuites } from '../runner/run.js';
import { resolveSuites } from '../suites/index.js';
import { addDeviceOptions, openDevice, type DeviceFlags } from './device.js';
import { ExitCode } from './exitCodes.js';
import { readGateConfig } from './files.js';
import { onInterrupt } from './interrupt.js';
import type { Io } from './io.js';
import { boundedInteger, boundedNumber, RUN_BOUNDS } from './options.js';
import { guardOutputs } from './outputs.js';
import { createProgress } from './progress.js';

interface NoiseFlags extends DeviceFlags {
  suite: string;
  runs: number;
  quick: boolean;
  config?: string;
  json?: string;
  passes?: number;
  noise?: number;
  maxCaseMs?: number;
  progress: boolean;
}

/** Suites whose cases write to disk need a scratch folder and its checks; A/A measures the timed ones. */
const NOT_FOR_AA = new Set(['kvtier']);

/**
 * `wgbench noise`: one build run several times on this machine, each run compared with the next
 * under the gate's regression rule. Every failure is a false alarm, so a team picks its threshold
 * (and its noise target) from data instead of guessing.
 */
async function commandNoise(flags: NoiseFlags, io: Io): Promise<number> {
  const suites = resolveSuites(flags.suite);
  const refused = suites.filter((s) => NOT_FOR_AA.has(s.name)).map((s) => s.name);
  if (refused.length > 0)
    throw new InputError(
      '--suite',
      flags.suite,
      `${refused.join(', ')} writes to a scratch disk; an A/A check takes the GPU-timed suites (leave it out)`,
    );
  guardOutputs(
    [{ flag: '--json', path: flags.json }],
    flags.config === undefined ? [] : [{ flag: '--config', path: flags.config }],
  );
  const config: GateConfig = flags.config === undefined ? gateConfigSchema.parse({}) : readGateConfig(flags.config);
  const acquired = await openDevice(flags);
  const interrupt = onInterrupt(io, () => undefined);
  const progress = createProgress(io.stderr, flags.progress);
  const runs: RunResult[] = [];
  try {
    for (let i = 0; i < flags.runs && !interrupt.signal.aborted; i++) {
      if (flags.progress) io.stderr.write(`wgbench: run ${i + 1} of ${flags.runs}\n`);
      const run = await runSuites(nodeRunEnvironment(acquired), {
        suites,
        quick: flags.quick,
        ...(flags.passes === undefined ? {} : { passes: flags.passes }),
        ...(flags.noise === undefined ? {} : { noiseTarget: flags.noise / 100 }),
        ...(flags.maxCaseMs === undefined ? {} : { maxTimeMs: flags.maxCaseMs }),
        canary: true,
        signal: interrupt.signal,
        onProgress: progress.onEvent,
      });
      progress.stop();
      if (run.status === 'device-lost') {
        io.stderr.write(`wgbench: ${run.message ?? 'device lost'}; no A/A verdict\n`);
        return ExitCode.DEVICE_LOST;
      }
      if (run.status === 'complete') runs.push(run);
    }
  } finally {
    progress.stop();
    interrupt.dispose();
    acquired.device.destroy();
  }
  if (interrupt.received() !== null && runs.length < 2) {
    io.stderr.write('wgbench: interrupted before two runs completed; no A/A verdict\n');
    return interrupt.exitCode();
  }
  const report = aaReport(runs, config);
  const first = runs[0];
  io.stdout.write(`${renderAa(report, runs, shouldUseColor(io.stdout, io.env))}\n`);
  if (flags.json !== undefined && first !== undefined) {
    const data = { kind: 'wgbench-aa', device: first.device, stopping: first.options.stopping, ...report };
    await writeFileAtomic(flags.json, `${JSON.stringify(data, null, 2)}\n`);
  }
  if (interrupt.received() !== null) return interrupt.exitCode();
  const failedCase = runs.some((r) => r.cases.some((c) => c.status === 'failed' || c.status === 'error'));
  return failedCase ? ExitCode.CASE_FAILED : ExitCode.OK;
}

function renderAa(report: AaReport, runs: readonly RunResult[], color: boolean): string {
  const first = runs[0];
  if (first === undefined) return 'no run completed';
  const table = makeTable(['case', 'noise per run', 'change run to run', 'gate'], color);
  const ids = [...new Set(report.checks.map((c) => c.id))];
  for (const id of ids) {
    const checks = report.checks.filter((c) => c.id === id);
    const name = first.cases.find((c) => c.id === id)?.name ?? id;
    const noise = runs.map((r) => {
      const c = r.cases.find((x) => x.id === id);
      return c === undefined ? '—' : (describeNoise(c) ?? '—');
    });
    table.push([
      name,
      noise.join(' '),
      checks.map((c) => `${c.changePct >= 0 ? '+' : ''}${c.changePct.toFixed(1)}%`).join(' '),
      checks.map((c) => c.gate.toLowerCase()).join(' '),
    ]);
  }
  return [
    `A/A: the same build, ${runs.length} runs on ${describeDevice(first.device)}`,
    table.toString(),
    ...describeAa(report),
  ].join('\n');
}

export function addNoiseCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  addDeviceOptions(
    program
      .command('noise')
      .description(
        "run one build several times and report how often the gate's settings fail an unchanged build here (A/A)",
      )
      .option('--suite <list>', 'comma-separated suites (default memcopy,peak)', 'memcopy,peak')
      .option(
        '--runs <n>',
        'runs of the same build, 2–20; each is compared with the next (default 3)',
        boundedInteger('--runs', 2, 20),
        3,
      )
      .option('--quick', 'small sizes and a short time per case, as `run --quick`', false)
      .option('--config <gates.json>', 'the gate settings to measure (maxRegressionPct, alpha, minSamples, untestable)')
      .option('--json <file>', 'write every check, the settings and the summary as JSON')
      .addOption(
        new Option('--noise <percent>', 'the noise target the runs use (as `run --noise`)')
          .argParser(boundedNumber('--noise', ...RUN_BOUNDS.noisePct))
          .conflicts('passes'),
      )
      .addOption(
        new Option('--max-case-ms <ms>', "wall-clock limit of a case's timing (as `run --max-case-ms`)")
          .argParser(boundedInteger('--max-case-ms', 1, RUN_BOUNDS.caseTimeMs[1]))
          .conflicts('passes'),
      )
      .option(
        '--passes <n>',
        'a fixed number of passes instead of the noise rule, to see what the old rule gave',
        boundedInteger('--passes', ...RUN_BOUNDS.passes),
      )
      .option('--no-progress', 'no progress display on stderr'),
  ).action(async (flags: NoiseFlags) => {
    setExit(await commandNoise(flags, io));
  });
}
