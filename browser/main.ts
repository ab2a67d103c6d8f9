// The wgbench page: probes the adapter on load, runs the shared suites with live progress,
// calibrates, exports, and opens results files from any machine (one to read, two to compare) with
// no WebGPU needed. What it shows is rendered by src/view/, the same layer as the HTML report.
// Only src/platform/browser.ts touches navigator; everything else is shared code.
import { Chart, registerables } from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import { compareRuns } from '../src/ci/compare.js';
import { acquireDevice, NoAdapterError, type AcquiredDevice } from '../src/gpu/acquire.js';
import { probeTimer } from '../src/gpu/probeTimer.js';
import type { TimerInfo } from '../src/gpu/timer.js';
import {
  browserCalibrationStore,
  browserPlatform,
  browserTuningStore,
  createBrowserGpuJs,
  createBrowserGpuProvider,
  createOpfsScratchStorage,
  loadKernelBundled,
} from '../src/platform/browser.js';
import {
  calibrationFromRun,
  calibrationKey,
  calibrationRounds,
  calibrationSuites,
  parseCalibration,
  type CalibrationProfile,
} from '../src/probe/calibration.js';
import { runPeaks } from '../src/probe/profile.js';
import { describeTimer, deviceFacts, deviceTitle } from '../src/reporters/describe.js';
import { escapeHtml, formatBytes, formatNs } from '../src/reporters/format.js';
import { renderJson } from '../src/reporters/json.js';
import type { CaseResult, RunResult } from '../src/results/schema.js';
import { validateRunDocument } from '../src/results/validate.js';
import { runSuites, type RunEnvironment } from '../src/runner/run.js';
import { registeredSuites } from '../src/suites/index.js';
import { createPeersSuite } from '../src/suites/peers.js';
// Suites a build adds from outside src/ (vite.config.ts, WGBENCH_PAGE_SUITES): each registers itself.
import 'virtual:wgbench-page-suites';
import type { Suite } from '../src/suites/types.js';
import { TUNABLE_FAMILIES } from '../src/tuning/families.js';
import { familyKernelHash, tuneFamilies, type TuneOutcome } from '../src/tuning/search.js';
import {
  currentEntries,
  describeTuning,
  entriesToStore,
  mergeTuning,
  tunedSummary,
  storedTuningSchema,
  tunedShapes,
  tuningHeader,
  type StoredTuning,
  type TunedShapes,
} from '../src/tuning/stored.js';
import { drawCharts, type DrawnChart, type DrawnCharts } from '../src/view/chartRuntime.js';
import { runCharts } from '../src/view/charts.js';
import { headline, headlineOfRun } from '../src/view/headline.js';
import { renderComparison, renderHeadline, renderResults, renderRunSections } from '../src/view/render.js';
import '../src/view/view.css';
import { setupLabUpload } from './lab.js';

Chart.register(...registerables, annotationPlugin);

// Each id below exists in index.html; the cast names the element type the caller expects.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
// The registry's suites (with any a build added through WGBENCH_PAGE_SUITES), the peers with this
// browser's gpu.js, WebGL2 included; the quick, cheap ones ticked.
const SUITES: { suite: Suite; checked: boolean }[] = registeredSuites().map((suite) => ({
  suite:
    suite.name === 'peers'
      ? createPeersSuite({ gpuJs: createBrowserGpuJs(), gpuJsModes: ['webgpu', 'webgl2'] })
      : suite,
  checked: suite.selectedByDefault === true,
}));

/** What a test (or a curious user) can read from the console. */
interface PageState {
  phase: 'probing' | 'ready' | 'running' | 'done' | 'no-webgpu' | 'error';
  device: AcquiredDevice['info'] | null;
  timer: TimerInfo | null;
  /** This tab's own last run. */
  run: RunResult | null;
  /** What the view shows: 'tab' (this tab's run) or the name of an opened file. */
  viewing: string;
  /** The charts on screen as Chart.js drew them: axis titles, tick labels, datasets. */
  charts: DrawnChart[];
  error: string | null;
}
const state: PageState = {
  phase: 'probing',
  device: null,
  timer: null,
  run: null,
  viewing: 'tab',
  charts: [],
  error: null,
};
(globalThis as unknown as { wgbench: PageState }).wgbench = state;

let acquired: AcquiredDevice | null = null;
let scratch: RunEnvironment['storage'] | null = null;
let abort: AbortController | null = null;
/** An opened file being read, and the older of two opened files (the comparison's base). */
let opened: { run: RunResult; name: string; base: { run: RunResult; name: string } | null } | null = null;
let drawn: DrawnCharts | null = null;

function setStatus(id: string, text: string, error = false): void {
  const el = $(id);
  el.textContent = text;
  el.className = error ? 'error' : '';
}

function calibration(): { profile: CalibrationProfile; file: string | null } | null {
  if (acquired === null) return null;
  try {
    const stored = browserCalibrationStore.load(calibrationKey(acquired.info));
    return stored === null ? null : { profile: parseCalibration(stored, 'browser storage'), file: null };
  } catch {
    return null;
  }
}

/** What Tune stored for this device in this browser, or null (nothing stored, or unreadable). */
function storedTuning(): StoredTuning | null {
  if (acquired === null) return null;
  const parsed = storedTuningSchema.safeParse(browserTuningStore.load(calibrationKey(acquired.info)));
  return parsed.success ? parsed.data : null;
}

/** The tuned shapes Run and Calibrate use: only entries made for the kernels this page bundles. */
async function currentTunedShapes(): Promise<TunedShapes | null> {
  const stored = storedTuning();
  if (stored === null) return null;
  const hashes: Record<string, string> = {};
  for (const f of TUNABLE_FAMILIES) hashes[f.name] = await familyKernelHash(f, loadKernelBundled);
  return tunedShapes(
    currentEntries(stored, hashes, 'browser storage', (why) => {
      setStatus('run-status', why);
    }),
  );
}

/** The headline: an opened file's, else this tab's device with its current peaks and last run. */
function showHeadline(): void {
  const body = $('headline-body');
  if (opened !== null) {
    setStatus(
      'probe-status',
      `from the results file ` +
        `${opened.name}${acquired === null ? '' : ` (this tab's adapter: ${deviceTitle(acquired.info)})`}`,
    );
    body.innerHTML = renderHeadline(headlineOfRun(opened.run), 1);
    return;
  }
  if (state.timer !== null) setStatus('probe-status', `this tab's adapter · timer ${describeTimer(state.timer)}`);
  if (acquired === null) return;
  const run = state.run;
  const stored = storedTuning();
  body.innerHTML = renderHeadline(
    headline({
      device: acquired.info,
      timer: state.timer,
      peaks: runPeaks(acquired.info, calibration()),
      cases: run?.cases ?? [],
      run,
      tuning: stored === null ? null : `tuning: ${describeTuning(stored)}`,
    }),
    1,
  );
}

/** The adapter's details; its peaks line is redrawn after Calibrate. */
function showProbePanel(): void {
  if (acquired === null) return;
  const info = acquired.info;
  const timer = state.timer;
  const peaks = runPeaks(info, calibration());
  const tuning = storedTuning();
  const rows: [string, string][] = [
    [
      'adapter',
      `${deviceTitle(info)} — ` +
        `${deviceFacts(info).join(', ')}${info.description === '' ? '' : `; driver ${info.description}`}`,
    ],
    [
      'class',
      `${
        info.adapterClass === 'cpu' ? 'CPU (software) ' + 'adapter' : 'GPU'
      }${info.isFallbackAdapter ? ', fallback adapter' : ''}`,
    ],
    [
      'timer',
      timer === null
        ? 'not probed'
        : `${timer.kind}, resolution ` +
          `${formatNs(timer.resolutionNs)}${timer.quantized ? ' (quantized by the browser)' : ''}; ` +
          timer.method,
    ],
    ['features', info.deviceFeatures.join(', ') || 'none'],
    [
      'subgroups',
      info.subgroupMinSize === null
        ? 'not reported'
        : `${String(info.subgroupMinSize)}–${String(info.subgroupMaxSize ?? info.subgroupMinSize)}`,
    ],
    ['subgroup matrices', info.subgroupMatrixConfigs.map((c) => JSON.stringify(c)).join('; ') || 'none'],
    ['max storage binding', formatBytes(info.limits['maxStorageBufferBindingSize'] ?? 0)],
    ['max workgroup storage', formatBytes(info.limits['maxComputeWorkgroupStorageSize'] ?? 0)],
    ['max invocations/workgroup', String(info.limits['maxComputeInvocationsPerWorkgroup'] ?? 'not reported')],
    [
      'peaks',
      `${
        peaks.calibrated
          ? `calibrated ${peaks.calibrated.measuredAt} (in this browser's storage)`
          : 'not calibrated: ' + 'press Calibrate'
      }; ` + `datasheet ${peaks.datasheet?.name ?? 'none for this device'}`,
    ],
    [
      'tuning',
      tuning === null
        ? 'not tuned: press Tune (Run and Calibrate then use the tuned launch shapes)'
        : `${describeTuning(tuning)} (in this browser's storage)`,
    ],
  ];
  const body = $<HTMLTableElement>('probe-table').tBodies[0] as HTMLTableSectionElement;
  body.innerHTML = rows
    .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
}

async function probe(): Promise<void> {
  if (globalThis.navigator.gpu === undefined) {
    state.phase = 'no-webgpu';
    setStatus(
      'probe-status',
      `This browser has no WebGPU (navigator.gpu is missing), so nothing can run here — but results files ` +
        `still open below.\n${createBrowserGpuProvider().installHint}`,
      true,
    );
    return;
  }
  try {
    acquired = await acquireDevice(createBrowserGpuProvider());
  } catch (e) {
    state.phase = e instanceof NoAdapterError ? 'no-webgpu' : 'error';
    setStatus(
      'probe-status',
      `${e instanceof Error ? e.message : String(e)}\nNothing can run in this tab, but results files still open below.`,
      true,
    );
    return;
  }
  const info = acquired.info;
  const timer = await probeTimer(acquired.device);
  state.device = info;
  state.timer = timer;
  showProbePanel();
  showHeadline();
  scratch = await createOpfsScratchStorage().catch(() => null);
  state.phase = 'ready';
  for (const id of ['run', 'calibrate', 'tune']) $<HTMLButtonElement>(id).disabled = false;
  $<HTMLButtonElement>('download-calibration').disabled = calibration() === null;
}

/** The results view of a run: charts (drawn by the shared runtime) and tables. */
function showRun(run: RunResult): void {
  drawn?.destroy();
  const specs = runCharts(run);
  $('view').innerHTML = renderRunSections(run, specs);
  drawn = drawCharts(Chart, specs, document);
  state.charts = drawn.describe();
}

function showComparison(): void {
  const section = $('comparison');
  const base = opened?.base ?? (opened !== null && state.run !== null ? { run: opened.run, name: opened.name } : null);
  const next = opened?.base
    ? { run: opened.run, name: opened.name }
    : state.run === null
      ? null
      : { run: state.run, name: "this tab's run" };
  if (base === null || next === null) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const cmp = compareRuns(base.run, next.run, undefined, true);
  $('comparison-body').innerHTML = renderComparison(cmp, base.run, next.run, { base: base.name, next: next.name });
}

function environment(): RunEnvironment {
  if (acquired === null) throw new Error('no device');
  return {
    device: acquired.device,
    info: acquired.info,
    loadKernel: loadKernelBundled,
    platform: browserPlatform(),
    toolVersion: __WGBENCH_VERSION__,
    readHostRss: () => null,
    peaks: runPeaks(acquired.info, calibration()),
    ...(scratch === null ? {} : { storage: scratch }),
  };
}

/**
 * One long job at a time (a run, a calibration, a tuning): the other buttons off and Stop on while
 * it works, its error shown if it throws, the buttons back after.
 */
async function longJob(job: (signal: AbortSignal, progress: HTMLProgressElement) => Promise<void>): Promise<void> {
  const progress = $<HTMLProgressElement>('progress');
  progress.hidden = false;
  progress.value = 0;
  abort = new AbortController();
  state.phase = 'running';
  for (const id of ['run', 'calibrate', 'tune', 'export']) $<HTMLButtonElement>(id).disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  try {
    await job(abort.signal, progress);
    state.phase = 'done';
  } catch (e) {
    state.phase = 'error';
    state.error = e instanceof Error ? e.message : String(e);
    setStatus('run-status', state.error, true);
  } finally {
    abort = null;
    for (const id of ['run', 'calibrate', 'tune']) $<HTMLButtonElement>(id).disabled = false;
    $<HTMLButtonElement>('export').disabled = state.run === null;
    $<HTMLButtonElement>('stop').disabled = true;
  }
}

async function execute(suites: Suite[], quick: boolean, onDone: (run: RunResult) => void, rounds = 1): Promise<void> {
  await longJob(async (signal, progress) => {
    opened = null;
    state.viewing = 'tab';
    $('back-to-run').hidden = true;
    drawn?.destroy();
    state.charts = [];
    const live: CaseResult[] = [];
    $('view').innerHTML = renderResults(live);
    const tuned = await currentTunedShapes();
    const run = await runSuites(
      { ...environment(), ...(tuned === null ? {} : { tuned }) },
      {
        suites,
        quick,
        rounds,
        canary: true,
        signal,
        onProgress: (e) => {
          if (e.type === 'planned') progress.max = Math.max(1, e.total);
          else if (e.type === 'case-start')
            setStatus('run-status', `${String(e.index + 1)}/${String(e.total)}: ${e.name}…`);
          else {
            progress.value = e.index + 1;
            // A later round of a case replaces its row: the rounds are pooled into one result.
            const at = live.findIndex((c) => c.id === e.result.id);
            if (at >= 0) live[at] = e.result;
            else live.push(e.result);
            $('view').innerHTML = renderResults(live);
          }
        },
      },
    );
    state.run = run;
    onDone(run);
    showRun(run);
    showHeadline();
    showProbePanel();
    const failed = run.cases.filter((c) => c.status === 'failed' || c.status === 'error').length;
    setStatus(
      'run-status',
      `${run.status}: ${String(run.cases.length)} cases, ${String(failed)} failed or ` +
        `errored${run.message === undefined ? '' : ` — ${run.message}`}`,
      failed > 0,
    );
    showComparison();
  });
}

/**
 * Tune: the CLI's budgeted search of the tunable families' launch shapes, on this tab's adapter;
 * the result is stored in the browser in the CLI's format, and the panel and headline say so.
 */
async function tune(budgetS: number): Promise<void> {
  if (acquired === null) return;
  const { info, device } = acquired;
  await longJob(async (signal, progress) => {
    progress.max = budgetS;
    const outcomes: TuneOutcome[] = [];
    const start = performance.now();
    const tunedAt = new Date().toISOString();
    await tuneFamilies(
      environment(),
      TUNABLE_FAMILIES,
      { info, limits: device.limits, quick: $<HTMLInputElement>('quick').checked },
      {
        budgetMs: budgetS * 1000,
        clock: () => performance.now(),
        signal,
        onEvent: (e) => {
          progress.value = (performance.now() - start) / 1000;
          if (e.type === 'target-start')
            setStatus(
              'run-status',
              `tuning ${e.target.family} ${e.target.description} (${String(e.index + 1)}/${String(e.total)})…`,
            );
          if (e.type === 'target-done') outcomes.push(e.outcome);
        },
      },
    );
    const key = calibrationKey(info);
    const entries = entriesToStore(outcomes, tunedAt, __WGBENCH_VERSION__);
    if (entries.length > 0) browserTuningStore.save(key, mergeTuning(storedTuning(), tuningHeader(key, info), entries));
    const faster = outcomes.filter((o) => o.source === 'tuned');
    setStatus(
      'run-status',
      `${tunedSummary(outcomes)} in ${((performance.now() - start) / 1000).toFixed(1)} s of ` +
        `${String(budgetS)} s: ` +
        (faster.length === 0
          ? 'the defaults stay'
          : faster
              .map(
                (o) =>
                  `${o.family} ${o.shapeClass} ${o.bestLabel} ${o.speedup === null ? '' : `${o.speedup.toFixed(2)}×`}`,
              )
              .join('; ')),
    );
    showProbePanel();
    showHeadline();
  });
}

function download(name: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = name;
  a.click();
  URL.revokeObjectURL(a.href);
}

/** A results file as the CLI reads it: JSON, the schema, and summaries the samples back. */
async function readResults(file: File): Promise<RunResult> {
  const text = await file.text();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${file.name}: not JSON (${e instanceof Error ? e.message : String(e)}); a results file is what ` +
        `\`wgbench run --json\` or Export JSON writes`,
      { cause: e },
    );
  }
  return validateRunDocument(data, file.name);
}

/** One file: read it. Two: compare the older (base) with the newer, and read the newer. */
async function openFiles(files: File[]): Promise<void> {
  if (files.length === 0) return;
  if (files.length > 2) {
    setStatus(
      'viewer-status',
      `${String(files.length)} files given: open one to read it, or two to compare them`,
      true,
    );
    return;
  }
  let runs: { run: RunResult; name: string }[];
  try {
    runs = await Promise.all(files.map(async (f) => ({ run: await readResults(f), name: f.name })));
  } catch (e) {
    setStatus('viewer-status', e instanceof Error ? e.message : String(e), true);
    return;
  }
  runs.sort((a, b) => a.run.startedAt.localeCompare(b.run.startedAt));
  const newest = runs[runs.length - 1] as { run: RunResult; name: string };
  opened = { ...newest, base: runs.length === 2 ? (runs[0] ?? null) : null };
  state.viewing = newest.name;
  $('view').setAttribute('aria-label', `results of ${newest.name}`);
  showHeadline();
  showRun(newest.run);
  showComparison();
  $('back-to-run').hidden = state.run === null;
  setStatus(
    'viewer-status',
    runs.length === 2
      ? `comparing ${runs[0]?.name ?? ''} (base) with ${newest.name}, and showing ${newest.name}`
      : `showing ${newest.name}: ${String(newest.run.cases.length)} cases from ` +
          `${deviceTitle(newest.run.device)}${state.run === null ? '' : "; compared below with this tab's run"}`,
  );
}

function setup(): void {
  const fieldset = $('suites');
  for (const { suite, checked } of SUITES) {
    const label = document.createElement('label');
    label.title = suite.description;
    const input = document.createElement('input');
    Object.assign(input, { type: 'checkbox', name: 'suite', value: suite.name, checked });
    label.append(input, ` ${suite.name}`);
    fieldset.append(label);
  }
  $('run').addEventListener('click', () => {
    const names = [...document.querySelectorAll<HTMLInputElement>('input[name=suite]:checked')].map((i) => i.value);
    const suites = SUITES.filter((s) => names.includes(s.suite.name)).map((s) => s.suite);
    if (suites.length === 0) {
      setStatus('run-status', 'choose at least one suite', true);
      return;
    }
    void execute(suites, $<HTMLInputElement>('quick').checked, () => undefined);
  });
  $('stop').addEventListener('click', () => {
    abort?.abort();
    setStatus('run-status', 'stopping after the current case…');
  });
  $('calibrate').addEventListener('click', () => {
    if (acquired === null) return;
    const info = acquired.info;
    void execute(
      calibrationSuites(info, $<HTMLInputElement>('quick').checked),
      $<HTMLInputElement>('quick').checked,
      (run) => {
        if (run.status !== 'complete') return;
        browserCalibrationStore.save(calibrationKey(info), calibrationFromRun(run, calibrationKey(info)));
        $<HTMLButtonElement>('download-calibration').disabled = false;
      },
      calibrationRounds($<HTMLInputElement>('quick').checked),
    );
  });
  $('tune').addEventListener('click', () => {
    const budget = $<HTMLInputElement>('tune-budget').valueAsNumber;
    if (!Number.isFinite(budget) || budget < 5 || budget > 600) {
      setStatus('run-status', 'the tune budget is seconds from 5 to 600', true);
      return;
    }
    void tune(budget);
  });
  $('export').addEventListener('click', () => {
    if (state.run !== null)
      download(`wgbench-${state.run.startedAt.replace(/[:.]/g, '-')}.json`, renderJson(state.run));
  });
  $('download-calibration').addEventListener('click', () => {
    const cal = calibration();
    if (cal !== null)
      download(`wgbench-calibration-${cal.profile.key}.json`, `${JSON.stringify(cal.profile, null, 2)}\n`);
  });
  $('back-to-run').addEventListener('click', () => {
    opened = null;
    state.viewing = 'tab';
    $('back-to-run').hidden = true;
    $('comparison').hidden = true;
    setStatus('viewer-status', '');
    showHeadline();
    if (state.run !== null) showRun(state.run);
  });
  const load = $<HTMLInputElement>('load');
  load.addEventListener('change', () => {
    void openFiles([...(load.files ?? [])]).finally(() => {
      load.value = '';
    });
  });
  const drop = $('drop');
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  document.addEventListener('dragleave', () => {
    drop.classList.remove('over');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    void openFiles([...(e.dataTransfer?.files ?? [])]);
  });
}

setup();
void probe();
void setupLabUpload(
  () => state.run,
  (text, error) => {
    setStatus('upload-status', text, error);
  },
);
