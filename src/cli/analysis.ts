import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../platform/atomicFile.js';
import { resolveRevision } from '../platform/gitSource.js';
import {
  compareRuleLine,
  comparisonCells,
  compareRuns,
  DEFAULT_COMPARE,
  DeviceMismatchError,
  deviceLabel,
  type RunComparison,
} from '../ci/compare.js';
import { baselineFromRun, evaluateGates, type Baseline } from '../ci/evaluate.js';
import { gateConfigSchema, InputError, type GateConfig } from '../ci/gateConfig.js';
import { historyKind, historyLocation, withHistory } from '../history/open.js';
import type { HistoryStore } from '../history/store.js';
import { uploadRun } from '../server/client.js';
import { readToken } from '../server/auth.js';
import { calibrationKey } from '../probe/calibration.js';
import { makeTable, renderRunTable, shouldUseColor } from '../reporters/console.js';
import { formatNs } from '../reporters/format.js';
import { renderGateJUnit } from '../reporters/junit.js';
import { renderCompareMarkdown, renderGateMarkdown } from '../reporters/markdown.js';
import { runResultJsonSchema } from '../results/jsonSchema.js';
import { ExitCode } from './exitCodes.js';
import { readGateConfig, readRunFile, reportOutputs, writeReports, type ReportFlags } from './files.js';
import { boundedInteger, boundedNumber } from './options.js';
import { guardOutputs } from './outputs.js';
import type { Io } from './io.js';

const DB_HELP =
  'history database: a SQLite file, or postgres://user:password@host:5432/database (default: ' +
  '$WGBENCH_HISTORY_DB or ~/.local/share/wgbench/history.sqlite)';

/** The base URL of a wgbench server, checked before anything is read or sent. */
function serverUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      '(command line)',
      '--to',
      `"${value}" is not a URL; give the server's address, e.g. http://127.0.0.1:8080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InputError(
      '(command line)',
      '--to',
      `"${value}" is not an http(s) URL; give the server's address, e.g. http://127.0.0.1:8080`,
    );
  return url;
}

function renderComparison(cmp: RunComparison, color: boolean): string {
  const table = makeTable(['case', 'base', 'new', 'change', 'p', 'verdict', 'why'], color);
  // Across devices, what only one side ran is listed by count: the rows are what both measured.
  const oneSided = cmp.sameDevice
    ? []
    : cmp.cases.filter((c) => c.verdict === 'new' || c.verdict === 'missing' || c.verdict === 'skipped');
  for (const c of cmp.cases.filter((x) => !oneSided.includes(x))) {
    const cells = comparisonCells(c);
    table.push([
      cells.label,
      cells.base,
      cells.next,
      cells.change,
      c.pValue === null ? '—' : c.pValue.toPrecision(2),
      c.verdict,
      c.reason,
    ]);
  }
  const count = (v: string): number => oneSided.filter((c) => c.verdict === v).length;
  const folded =
    oneSided.length === 0
      ? ''
      : `\nnot compared: ${count('new')} ran only in the new run, ${count('missing')} only in the base, ` +
        `${count('skipped')} skipped in both (--json lists them)`;
  return `base: ${cmp.baseDevice}\nnew:  ${cmp.newDevice}\n${compareRuleLine(cmp)}\n${table.toString()}${folded}`;
}

export function addAnalysisCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('schema')
    .description('print the JSON Schema of results files (also shipped as schema/run-result.v1.schema.json)')
    .action(() => {
      io.stdout.write(`${JSON.stringify(runResultJsonSchema(), null, 2)}\n`);
      setExit(ExitCode.OK);
    });

  program
    .command('report')
    .description('render a results file (from a run, the browser page, or CI) in other formats')
    .argument('<results.json>', 'results file written by `wgbench run --json`')
    .option('--md <file>', 'Markdown report')
    .option('--html <file>', 'self-contained HTML with the roofline, bandwidth and latency plots')
    .option('--junit <file>', 'JUnit XML, one test case per benchmark case')
    .option('--trace <file>', 'Chrome trace-event JSON (Perfetto)')
    .option('--gh-bench <file>', 'github-action-benchmark JSON, customBiggerIsBetter')
    .option('--gh-bench-time <file>', 'github-action-benchmark JSON, customSmallerIsBetter')
    .action(async (file: string, flags: ReportFlags) => {
      guardOutputs(reportOutputs(flags), [{ flag: '<results.json>', path: file }]);
      const run = readRunFile(file);
      io.stdout.write(`${renderRunTable(run, { color: shouldUseColor(io.stdout, io.env) })}\n`);
      for (const line of await writeReports(run, flags)) io.stdout.write(`${line}\n`);
      setExit(ExitCode.OK);
    });

  program
    .command('compare')
    .description('compare two results files case by case: median change, Mann–Whitney U, verdict')
    .argument('<base.json>')
    .argument('<new.json>')
    .option(
      '--threshold <pct>',
      'smallest change worth calling (percent, 0–1000)',
      boundedNumber('--threshold', 0, 1000),
      DEFAULT_COMPARE.thresholdPct,
    )
    .option(
      '--alpha <p>',
      'significance level, between 0 and 1',
      boundedNumber('--alpha', 0, 1, { exclusive: true, why: 'a probability; 0 never and 1 always rejects' }),
      DEFAULT_COMPARE.alpha,
    )
    .option(
      '--min-samples <n>',
      'samples needed on each side to call a change (2 or more)',
      boundedInteger('--min-samples', 2, 1_000_000, 'a rank test needs two samples a side'),
      DEFAULT_COMPARE.minSamples,
    )
    .option('--allow-device-mismatch', 'compare runs from different devices anyway', false)
    .option('--md <file>', 'write the comparison as Markdown')
    .option('--json <file>', 'write the comparison as JSON')
    .action(
      async (
        baseFile: string,
        newFile: string,
        flags: {
          threshold: number;
          alpha: number;
          minSamples: number;
          allowDeviceMismatch: boolean;
          md?: string;
          json?: string;
        },
      ) => {
        guardOutputs(
          [
            { flag: '--md', path: flags.md },
            { flag: '--json', path: flags.json },
          ],
          [
            { flag: '<base.json>', path: baseFile },
            { flag: '<new.json>', path: newFile },
          ],
        );
        const base = readRunFile(baseFile);
        const next = readRunFile(newFile);
        let cmp: RunComparison;
        try {
          cmp = compareRuns(
            base,
            next,
            { thresholdPct: flags.threshold, alpha: flags.alpha, minSamples: flags.minSamples },
            flags.allowDeviceMismatch,
          );
        } catch (e) {
          if (e instanceof DeviceMismatchError) throw new InputError(newFile, 'device', e.message);
          throw e;
        }
        io.stdout.write(`${renderComparison(cmp, shouldUseColor(io.stdout, io.env))}\n`);
        if (flags.md !== undefined) await writeFileAtomic(flags.md, renderCompareMarkdown(cmp));
        if (flags.json !== undefined) await writeFileAtomic(flags.json, `${JSON.stringify(cmp, null, 2)}\n`);
        setExit(ExitCode.OK);
      },
    );

  program
    .command('gate')
    .description('check a results file against thresholds and a baseline; exit 1 when a gate fails')
    .argument('<new.json>')
    .option('--config <gates.json>', 'thresholds and regression settings (default: regression check at 5%)')
    .addOption(new Option('--baseline <base.json>', 'compare against this results file').conflicts('history'))
    .option('--history', 'compare against the pooled samples of the last runs in the history database', false)
    .option(
      '--baseline-ref <rev>',
      "with --history: the runs of this commit instead (a hash, or a ref git resolves here: a PR's merge-base)",
    )
    .option('--db <file|url>', DB_HELP)
    .option('--junit <file>', 'write the gate results as JUnit XML')
    .option('--md <file>', 'write the gate results as Markdown')
    .option(
      '--allow-incomplete',
      'judge an interrupted, device-lost or unfinished run on the cases it has (default: such a run fails)',
      false,
    )
    .option('--allow-missing', 'let baseline cases the new run lacks pass as skipped (default: they fail)', false)
    .option('--allow-device-mismatch', 'compare against a baseline from another device anyway', false)
    .action(
      async (
        newFile: string,
        flags: {
          config?: string;
          baseline?: string;
          history: boolean;
          baselineRef?: string;
          db?: string;
          junit?: string;
          md?: string;
          allowIncomplete: boolean;
          allowMissing: boolean;
          allowDeviceMismatch: boolean;
        },
      ) => {
        const inputs = [
          { flag: '<new.json>', path: newFile },
          ...(flags.baseline === undefined ? [] : [{ flag: '--baseline', path: flags.baseline }]),
          ...(flags.config === undefined ? [] : [{ flag: '--config', path: flags.config }]),
          ...(flags.history && historyKind(historyLocation(flags.db, io.env)) === 'sqlite'
            ? [{ flag: '--db', path: historyLocation(flags.db, io.env) }]
            : []),
        ];
        if (flags.history) historyKind(historyLocation(flags.db, io.env));
        if (flags.baselineRef !== undefined && !flags.history)
          throw new InputError(
            '(command line)',
            '--baseline-ref',
            'takes the baseline from the history: add --history',
          );
        const commit = flags.baselineRef === undefined ? undefined : baselineCommit(flags.baselineRef);
        guardOutputs(
          [
            { flag: '--junit', path: flags.junit },
            { flag: '--md', path: flags.md },
          ],
          inputs,
        );
        const run = readRunFile(newFile);
        const config: GateConfig =
          flags.config === undefined ? gateConfigSchema.parse({}) : readGateConfig(flags.config);
        let baseline: Baseline | null = null;
        if (flags.baseline !== undefined) {
          const base = readRunFile(flags.baseline);
          if (!flags.allowDeviceMismatch && calibrationKey(base.device) !== calibrationKey(run.device)) {
            throw new InputError(
              flags.baseline,
              'device',
              `the baseline is from "${deviceLabel(base)}", the run from "${deviceLabel(run)}": a ` +
                `regression check across devices says nothing about the code; pass --allow-device-mismatch ` +
                `to compare anyway`,
            );
          }
          const across = calibrationKey(base.device) !== calibrationKey(run.device);
          // Across devices the base's throughput is applied to this run's work, case by key.
          baseline = baselineFromRun(
            base,
            across ? `${flags.baseline} (${deviceLabel(base)}, by key and throughput)` : flags.baseline,
            run,
          );
        }
        if (flags.history) {
          baseline = await withHistory(historyLocation(flags.db, io.env), async (store) => {
            if (commit !== undefined && (await store.runsAtCommit(run, commit)) > 0)
              return store.baselineFor(run, config.historyRuns, { commit });
            if (commit !== undefined)
              io.stderr.write(
                `wgbench: no run of commit ${commit} on this device in ${store.location}; the baseline is ` +
                  `the last ${config.historyRuns} runs before this one instead\n`,
              );
            return store.baselineFor(run, config.historyRuns);
          });
        }
        if (baseline === null && flags.config === undefined) {
          throw new InputError(
            '(command line)',
            '--baseline',
            'the default gate is a regression check: give --baseline base.json, --history, or --config gates.json',
          );
        }
        const evaluation = evaluateGates(run, config, baseline, {
          allowIncomplete: flags.allowIncomplete,
          allowMissing: flags.allowMissing,
        });
        const color = shouldUseColor(io.stdout, io.env);
        const table = makeTable(['check', 'status', 'message'], color, {
          colWidths: [null, null, 100],
          wordWrap: true,
        });
        for (const r of evaluation.results) table.push([r.name, r.status, r.message]);
        const s = evaluation.summary;
        io.stdout.write(
          `${table.toString()}\n${s.allPassed ? 'gate passed' : 'GATE FAILED'}: ${s.passed} passed, ` +
            `${s.failed} failed, ${s.noisy} noisy, ${s.untestable} untestable` +
            (s.untestable > 0 && config.untestable === 'warn' ? ' (untestable: "warn")' : '') +
            `, ${s.skipped} skipped\n`,
        );
        if (flags.junit !== undefined)
          await writeFileAtomic(flags.junit, renderGateJUnit(evaluation.results, config.untestable));
        if (flags.md !== undefined) await writeFileAtomic(flags.md, renderGateMarkdown(evaluation));
        setExit(s.allPassed ? ExitCode.OK : ExitCode.CASE_FAILED);
      },
    );

  const history = program
    .command('history')
    .description(
      'the results history: a SQLite file by default, or a PostgreSQL database shared by many machines ' +
        '(--db postgres://…)',
    );
  const dbOption = (): Option => new Option('--db <file|url>', DB_HELP);
  const withStore = async (db: string | undefined, work: (store: HistoryStore) => Promise<void>): Promise<void> => {
    await withHistory(historyLocation(db, io.env), work);
  };
  history
    .command('add')
    .argument('<results.json...>')
    .addOption(dbOption())
    .addOption(
      new Option(
        '--to <url>',
        'post the files to a `wgbench serve` at this URL instead (token: $WGBENCH_SERVE_TOKEN or --token-file)',
      ).conflicts('db'),
    )
    .option('--token-file <file>', 'with --to: read the upload token from this file')
    .description('add results files to the history, or upload them to a wgbench server')
    .action(async (files: string[], flags: { db?: string; to?: string; tokenFile?: string }) => {
      if (flags.to !== undefined) {
        const to = serverUrl(flags.to);
        const token = readToken(flags.tokenFile, io.env, '--token-file');
        if (token === null)
          throw new InputError(
            '(command line)',
            '--to',
            "uploading needs the server's token: set WGBENCH_SERVE_TOKEN or pass --token-file FILE",
          );
        const runs = files.map((f) => ({ file: f, run: readRunFile(f) }));
        for (const { file, run } of runs) {
          const r = await uploadRun(to, token, run);
          io.stdout.write(
            `${r.added ? 'uploaded' : 'already on the server:'} ${file} (${run.startedAt}, ` +
              `${run.cases.length} cases, device ${calibrationKey(run.device)}) → ${to.origin} run ${r.id}\n`,
          );
        }
        setExit(ExitCode.OK);
        return;
      }
      const location = historyLocation(flags.db, io.env);
      // The database is written: it must not be one of the results files named.
      if (historyKind(location) === 'sqlite')
        guardOutputs(
          [{ flag: '--db', path: location, createsFolder: true }],
          files.map((f) => ({ flag: '<results.json>', path: f })),
        );
      const runs = files.map((f) => ({ file: f, run: readRunFile(f) }));
      await withStore(flags.db, async (store) => {
        for (const { file, run } of runs) {
          const { added } = await store.add(run, file);
          io.stdout.write(
            `${added ? 'added' : 'already in history:'} ${file} (${run.startedAt}, ${run.cases.length} ` +
              `cases, device ${calibrationKey(run.device)}) → ${store.location}\n`,
          );
        }
      });
      setExit(ExitCode.OK);
    });
  history
    .command('list')
    .addOption(dbOption())
    .option('--device <key>', 'only this device (its calibration key)')
    .description('list the runs in the history')
    .action(async (flags: { db?: string; device?: string }) => {
      await withStore(flags.db, async (store) => {
        const table = makeTable(
          ['id', 'started', 'device key', 'device', 'wgbench', 'cases'],
          shouldUseColor(io.stdout, io.env),
        );
        for (const r of await store.listRuns(flags.device))
          table.push([r.id, r.startedAt, r.deviceKey, r.device, r.toolVersion, r.cases]);
        io.stdout.write(`${table.toString()}\n`);
      });
      setExit(ExitCode.OK);
    });
  history
    .command('show')
    .argument('<case>', 'case id, e.g. memcopy/copy/bytes=1073741824')
    .addOption(dbOption())
    .option('--device <key>', 'only this device (its calibration key)')
    .description('show one case across the runs in the history')
    .action(async (caseId: string, flags: { db?: string; device?: string }) => {
      await withStore(flags.db, async (store) => {
        const rows = await store.showCase(caseId, flags.device);
        if (rows.length === 0)
          throw new InputError(
            store.location,
            caseId,
            'no such case in the history; `wgbench history list` shows what is there',
          );
        const table = makeTable(
          ['started', 'device key', 'status', 'median/dispatch', 'GB/s', 'TFLOP/s', 'MFU'],
          shouldUseColor(io.stdout, io.env),
        );
        for (const r of rows)
          table.push([
            r.startedAt,
            r.deviceKey,
            r.status,
            r.medianNs === null ? '—' : formatNs(r.medianNs),
            r.bandwidthGBps?.toFixed(1) ?? '—',
            r.tflops?.toPrecision(4) ?? '—',
            r.mfu === null ? '—' : `${(r.mfu * 100).toFixed(1)}%`,
          ]);
        io.stdout.write(`${table.toString()}\n`);
      });
      setExit(ExitCode.OK);
    });
}

/**
 * The commit --baseline-ref names: a hash (4 to 64 hex digits, expanded where this is its
 * repository), or a ref git resolves here (a branch, a tag, origin/main).
 */
function baselineCommit(rev: string): string {
  const resolved = resolveRevision(rev);
  if (resolved !== null) return resolved;
  if (/^[0-9a-f]{4,64}$/i.test(rev)) return rev.toLowerCase();
  throw new InputError(
    '(command line)',
    '--baseline-ref',
    `"${rev}" names no commit here (git rev-parse found none); give a commit hash, or run inside the repository`,
  );
}
