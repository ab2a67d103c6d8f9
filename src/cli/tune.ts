import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { writeFileAtomic } from '../platform/atomicFile.js';
import type { AcquiredDevice } from '../gpu/acquire.js';
import { calibrationDir } from '../platform/calibrationStore.js';
import { chartJsSource, nodeRunEnvironment, toolVersion } from '../platform/node.js';
import { renderTuneHtml, type TuneReport } from '../reporters/tune.js';
import { loadTuning, saveTuning } from '../platform/tuningStore.js';
import { calibrationKey } from '../probe/calibration.js';
import { makeTable, shouldUseColor } from '../reporters/console.js';
import { formatNs } from '../reporters/format.js';
import { familyByName, TUNABLE_FAMILIES, UnknownFamilyError, type TunableFamily } from '../tuning/families.js';
import { familyKernelHash, TuneDeviceLost, tuneFamilies, type TuneEvent, type TuneOutcome } from '../tuning/search.js';
import {
  currentEntries,
  entriesToStore,
  mergeTuning,
  tunedSummary,
  tunedShapes,
  tuningHeader,
  type TunedShapes,
} from '../tuning/stored.js';
import { InputError } from '../ci/gateConfig.js';
import { addDeviceOptions, openDevice, type DeviceFlags } from './device.js';
import { launchedAt } from './launcher.js';
import { ExitCode } from './exitCodes.js';
import { onInterrupt } from './interrupt.js';
import { boundedInteger, boundedNumber } from './options.js';
import { guardOutputs } from './outputs.js';
import type { Io } from './io.js';

interface TuneFlags extends DeviceFlags {
  family: string;
  budget: number;
  quick: boolean;
  json?: string;
  html?: string;
  calibrationDir?: string;
  progress: boolean;
  seed?: number;
}

/** The tuned shapes a run or calibration uses on this device, or none (--no-tuning, nothing stored, all stale). */
export async function tunedShapesFor(
  acquired: AcquiredDevice,
  flags: { calibrationDir?: string; tuning: boolean },
  io: Io,
): Promise<{ shapes: TunedShapes; file: string } | null> {
  if (!flags.tuning) return null;
  const note = (why: string): void => {
    io.stderr.write(`wgbench: ${why}\n`);
  };
  const stored = loadTuning(calibrationDir(flags.calibrationDir, io.env), calibrationKey(acquired.info), note);
  if (stored === null) return null;
  const env = nodeRunEnvironment(acquired);
  const hashes: Partial<Record<TunableFamily['name'], string>> = {};
  for (const f of TUNABLE_FAMILIES) hashes[f.name] = await familyKernelHash(f, env.loadKernel);
  return { shapes: tunedShapes(currentEntries(stored.tuning, hashes, stored.file, note)), file: stored.file };
}

function pct(o: TuneOutcome): string {
  if (o.speedup === null) return '—';
  if (o.source === 'default') return 'default kept';
  return `${((1 - 1 / o.speedup) * 100).toFixed(1)}% faster (${o.speedup.toFixed(2)}×)`;
}

export function renderTuneTable(outcomes: readonly TuneOutcome[], color: boolean): string {
  const table = makeTable(
    ['family', 'problem', 'default', 'median', 'best', 'median', 'vs default', 'candidates'],
    color,
  );
  for (const o of outcomes) {
    const measured = o.candidates.filter((c) => c.status === 'measured' && c.medianNs !== null).length;
    const rejected = o.candidates.filter((c) => c.status === 'rejected').length;
    const na = o.candidates.filter((c) => c.status === 'not-applicable').length;
    const cut = o.candidates.filter((c) => c.status === 'cut').length;
    table.push([
      o.family,
      o.description,
      o.defaultLabel,
      o.defaultMedianNs === null ? '—' : formatNs(o.defaultMedianNs),
      o.bestLabel,
      o.bestMedianNs === null ? '—' : formatNs(o.bestMedianNs),
      pct(o),
      `${measured} timed, ${rejected} rejected, ${na} n/a${cut > 0 ? `, ${cut} cut` : ''}`,
    ]);
  }
  const notes = outcomes.flatMap((o) => [
    `${o.family} ${o.shapeClass}: ${o.decision}`,
    ...o.candidates.filter((c) => c.status === 'rejected').map((c) => `  rejected ${c.label}: ${c.reason ?? ''}`),
  ]);
  return `${table.toString()}\n${notes.join('\n')}`;
}

function progressReporter(
  io: Io,
  enabled: boolean,
  budgetMs: number,
  clock: () => number,
  start: number,
): { onEvent: (e: TuneEvent) => void; stop: () => void } {
  if (!enabled) return { onEvent: () => undefined, stop: () => undefined };
  if (io.stderr.isTTY === true) {
    // The bar is the budget: it fills with time spent, and names the candidate being timed.
    const bar = new cliProgress.SingleBar(
      {
        stream: io.stderr,
        format: 'wgbench tune [{bar}] {value}/{total} s {what}',
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.round(budgetMs / 1000), 0, { what: '' });
    return {
      onEvent: (e) => {
        const what =
          e.type === 'evaluated'
            ? `${e.target.family} ${e.target.shapeClass}: ${e.candidate.label} ` +
              (e.candidate.status === 'measured' ? formatNs(e.candidate.medianNs ?? 0) : e.candidate.status)
            : e.type === 'target-start'
              ? `${e.target.family} ${e.target.shapeClass}`
              : '';
        bar.update(Math.min(Math.round(budgetMs / 1000), Math.round((clock() - start) / 1000)), { what });
      },
      stop: () => {
        bar.stop();
      },
    };
  }
  return {
    onEvent: (e) => {
      if (e.type === 'target-start')
        io.stderr.write(
          `[tune ${e.index + 1}/${e.total}] ${e.target.family} ${e.target.description}: ` +
            `${(e.budgetMs / 1000).toFixed(1)} s\n`,
        );
      else if (e.type === 'target-done')
        io.stderr.write(
          `[tune] ${e.outcome.family} ${e.outcome.shapeClass}: ${e.outcome.bestLabel} ` +
            `(${e.outcome.source}) after ${e.outcome.evaluations} evaluations in ` +
            `${e.outcome.seconds.toFixed(1)} s\n`,
        );
    },
    stop: () => undefined,
  };
}

async function commandTune(flags: TuneFlags, io: Io, clock: () => number, startedAt: number): Promise<number> {
  let families: TunableFamily[];
  try {
    families = familyByName(flags.family);
  } catch (e) {
    if (e instanceof UnknownFamilyError) throw new InputError('(command line)', '--family', e.message);
    throw e;
  }
  const dir = calibrationDir(flags.calibrationDir, io.env);
  guardOutputs(
    [
      { flag: '--calibration-dir', path: dir, directory: true },
      { flag: '--json', path: flags.json },
      { flag: '--html', path: flags.html },
    ],
    [],
  );
  const acquired = await openDevice(flags);
  const key = calibrationKey(acquired.info);
  const budgetMs = flags.budget * 1000;
  const interrupt = onInterrupt(io, () => undefined);
  const progress = progressReporter(io, flags.progress, budgetMs, clock, startedAt);
  const outcomes: TuneOutcome[] = [];
  let lost: string | null = null;
  const tunedAt = new Date().toISOString();
  try {
    const env = nodeRunEnvironment(acquired);
    // The budget counts from the command's start: device start-up and the final save are in it.
    const reserveMs = 300;
    const left = Math.max(0, budgetMs - (clock() - startedAt) - reserveMs);
    try {
      await tuneFamilies(
        env,
        families,
        { info: acquired.info, limits: acquired.device.limits, quick: flags.quick },
        {
          budgetMs: left,
          clock,
          signal: interrupt.signal,
          onEvent: (e) => {
            if (e.type === 'target-done') outcomes.push(e.outcome);
            progress.onEvent(e);
          },
          ...(flags.seed === undefined ? {} : { seed: flags.seed }),
        },
      );
    } catch (e) {
      if (!(e instanceof TuneDeviceLost)) throw e;
      lost = e.message;
    }
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const report: TuneReport = {
    kind: 'wgbench-tune-report',
    schemaVersion: 1,
    tool: { name: 'wgbench', version: toolVersion() },
    device: acquired.info,
    calibrationKey: key,
    quick: flags.quick,
    startedAt: new Date(Date.now() - (clock() - startedAt)).toISOString(),
    budgetSeconds: flags.budget,
    elapsedSeconds: (clock() - startedAt) / 1000,
    status: lost !== null ? 'device-lost' : interrupt.received() !== null ? 'interrupted' : 'complete',
    outcomes,
  };
  const previous = loadTuning(dir, key);
  const entries = entriesToStore(outcomes, tunedAt, toolVersion());
  const file =
    entries.length > 0
      ? await saveTuning(dir, mergeTuning(previous?.tuning ?? null, tuningHeader(key, acquired.info), entries))
      : null;
  if (flags.json !== undefined) await writeFileAtomic(flags.json, `${JSON.stringify(report, null, 2)}\n`);
  if (flags.html !== undefined) await writeFileAtomic(flags.html, renderTuneHtml(report, chartJsSource()));
  io.stdout.write(`${renderTuneTable(outcomes, shouldUseColor(io.stdout, io.env))}\n`);
  const device = { info: acquired.info, limits: acquired.device.limits, quick: flags.quick };
  for (const f of families.filter((x) => x.targets(device).length === 0))
    io.stdout.write(
      `${f.name}: nothing to tune on this device (${f.needs === undefined ? f.description : `needs ${f.needs}`})\n`,
    );
  io.stdout.write(
    `${tunedSummary(outcomes)} in ${report.elapsedSeconds.toFixed(1)} s of a ${flags.budget} s ` +
      `budget${
        file === null
          ? '; nothing saved'
          : `; saved to ${file} (wgbench run and calibrate use it; ` + `--no-tuning for the defaults)`
      }\n`,
  );
  // Destroying the device waits for a compile the budget cut; the process's exit does not.
  if (!outcomes.some((o) => o.candidates.some((c) => c.status === 'cut'))) acquired.device.destroy();
  if (lost !== null) {
    io.stderr.write(`wgbench: ${lost}; the problems tuned before it are saved\n`);
    return ExitCode.DEVICE_LOST;
  }
  if (interrupt.received() !== null) return interrupt.exitCode();
  return ExitCode.OK;
}

export function addTuneCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const clock = (): number => performance.now();
  addDeviceOptions(
    program
      .command('tune')
      .description(
        "search the tunable kernels' shapes on this device within a time budget; run and calibrate then use the best",
      )
      .addOption(
        new Option(
          '--family <list>',
          `comma-separated families (${TUNABLE_FAMILIES.map((f) => f.name).join(', ')})`,
        ).default(TUNABLE_FAMILIES.map((f) => f.name).join(',')),
      )
      .option(
        '--budget <seconds>',
        'time the whole command may take, 0 < s ≤ 86400 (default 120)',
        boundedNumber('--budget', 0, 86_401, { exclusive: true, why: 'a search needs time to measure anything' }),
        120,
      )
      .option('--quick', 'tune the problem sizes a quick run uses', false)
      .option('--json <file>', 'write every candidate, its samples and the decisions as JSON')
      .option(
        '--html <file>',
        "write a self-contained HTML report: each candidate's median per problem, the rejected ones and why",
      )
      .option(
        '--calibration-dir <dir>',
        'where tunings are kept, beside the calibration profiles (default: $WGBENCH_CALIBRATION_DIR or ' +
          '~/.config/wgbench/calibration)',
      )
      .option('--seed <n>', 'seed of the random inputs, 0 to 2^32 − 1', boundedInteger('--seed', 0, 2 ** 32 - 1))
      .option('--no-progress', 'no progress display on stderr'),
  ).action(async (flags: TuneFlags) => {
    // The budget is the command's wall time: it counts from the launcher's start, not the parse.
    setExit(await commandTune(flags, io, clock, launchedAt(io.env) ?? clock()));
  });
}
