// The wgbench page: probes the adapter on load, runs the shared suites with live progress,
// draws the roofline and bandwidth, calibrates, exports and compares results in the same schema
// as the CLI. Only src/platform/browser.ts touches navigator; everything else is shared code.
import { Chart, registerables } from 'chart.js';
import { compareRuns, DeviceMismatchError } from '../src/ci/compare.js';
import { acquireDevice, NoAdapterError, type AcquiredDevice } from '../src/gpu/acquire.js';
import { probeTimer } from '../src/gpu/probeTimer.js';
import type { TimerInfo } from '../src/gpu/timer.js';
import { browserCalibrationStore, browserPlatform, createBrowserGpuJs, createBrowserGpuProvider, createOpfsScratchStorage, loadKernelBundled } from '../src/platform/browser.js';
import { calibrationFromRun, calibrationKey, calibrationSuites, parseCalibration, type CalibrationProfile } from '../src/probe/calibration.js';
import { runPeaks } from '../src/probe/profile.js';
import { describeDevice, describeTimer, formatFlops } from '../src/reporters/describe.js';
import { formatBytes, formatNs, formatNumber } from '../src/reporters/format.js';
import { bandwidthData, rooflineData } from '../src/reporters/html.js';
import { renderJson } from '../src/reporters/json.js';
import { parseRunResult, type CaseResult, type RunResult } from '../src/results/schema.js';
import { runSuites, type RunEnvironment } from '../src/runner/run.js';
import { attentionSuite } from '../src/suites/attention.js';
import { kvTierSuite } from '../src/suites/kvtier.js';
import { llmSuite } from '../src/suites/llm.js';
import { matmulSuite } from '../src/suites/matmul.js';
import { memcopySuite } from '../src/suites/memcopy.js';
import { overheadSuite } from '../src/suites/overhead.js';
import { peakSuite } from '../src/suites/peak.js';
import { overheadRows } from '../src/reporters/overhead.js';
import { createPeersSuite } from '../src/suites/peers.js';
import type { Suite } from '../src/suites/types.js';
import { setupLabUpload } from './lab.js';

Chart.register(...registerables);

// Each id below exists in index.html; the cast names the element type the caller expects.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const SUITES: { suite: Suite; checked: boolean }[] = [
  { suite: memcopySuite, checked: true },
  { suite: peakSuite, checked: true },
  { suite: matmulSuite, checked: true },
  { suite: attentionSuite, checked: false },
  { suite: overheadSuite, checked: false },
  { suite: llmSuite, checked: false },
  { suite: kvTierSuite, checked: false },
  { suite: createPeersSuite({ gpuJs: createBrowserGpuJs(), gpuJsModes: ['webgpu', 'webgl2'] }), checked: false },
];

/** What a test (or a curious user) can read from the console. */
interface PageState {
  phase: 'probing' | 'ready' | 'running' | 'done' | 'no-webgpu' | 'error';
  device: AcquiredDevice['info'] | null;
  timer: TimerInfo | null;
  run: RunResult | null;
  error: string | null;
}
const state: PageState = { phase: 'probing', device: null, timer: null, run: null, error: null };
(globalThis as unknown as { wgbench: PageState }).wgbench = state;

let acquired: AcquiredDevice | null = null;
let scratch: RunEnvironment['storage'] | null = null;
let abort: AbortController | null = null;
let loaded: RunResult | null = null;
const charts: Chart[] = [];

function setStatus(id: string, text: string, error = false): void {
  const el = $(id);
  el.textContent = text;
  el.className = error ? 'error' : '';
}

function row(cells: string[], cls = ''): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (cls !== '') tr.className = cls;
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  return tr;
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

async function probe(): Promise<void> {
  if (globalThis.navigator.gpu === undefined) {
    state.phase = 'no-webgpu';
    setStatus('probe-status', `This browser has no WebGPU (navigator.gpu is missing).\n${createBrowserGpuProvider().installHint}`, true);
    return;
  }
  try {
    acquired = await acquireDevice(createBrowserGpuProvider());
  } catch (e) {
    state.phase = e instanceof NoAdapterError ? 'no-webgpu' : 'error';
    setStatus('probe-status', e instanceof Error ? e.message : String(e), true);
    return;
  }
  const info = acquired.info;
  const timer = await probeTimer(acquired.device);
  state.device = info;
  state.timer = timer;
  const quantizedNote = timer.quantized ? ` — this browser rounds timestamps to ${formatNs(timer.resolutionNs)}; short kernels carry that error` : '';
  setStatus('probe-status', `${describeDevice(info)}; timer ${describeTimer(timer)}${quantizedNote}`);
  const table = $<HTMLTableElement>('probe-table');
  const peaks = runPeaks(info, calibration());
  const rows: [string, string][] = [
    ['adapter', `${info.vendor || '?'} / ${info.architecture || '?'} / ${info.device || '?'} — ${info.description}`],
    ['class', `${info.adapterClass === 'cpu' ? 'CPU (software) adapter' : 'GPU'}${info.isFallbackAdapter ? ', fallback adapter' : ''}`],
    ['timer', `${timer.kind}, resolution ${formatNs(timer.resolutionNs)}${timer.quantized ? ' (quantized by the browser)' : ''}; ${timer.method}`],
    ['features', info.deviceFeatures.join(', ') || 'none'],
    ['subgroups', `${info.subgroupMinSize ?? '?'}–${info.subgroupMaxSize ?? '?'}`],
    ['subgroup matrices', info.subgroupMatrixConfigs.map((c) => JSON.stringify(c)).join('; ') || 'none'],
    ['max storage binding', formatBytes(info.limits['maxStorageBufferBindingSize'] ?? 0)],
    ['max workgroup storage', formatBytes(info.limits['maxComputeWorkgroupStorageSize'] ?? 0)],
    ['max invocations/workgroup', String(info.limits['maxComputeInvocationsPerWorkgroup'] ?? '?')],
    ['peaks', `${peaks.calibrated ? `calibrated ${peaks.calibrated.measuredAt}` : 'not calibrated'}; datasheet ${peaks.datasheet?.name ?? 'none for this device'}`],
  ];
  table.replaceChildren(...rows.map(([k, v]) => row([k, v])));
  table.hidden = false;
  scratch = await createOpfsScratchStorage().catch(() => null);
  state.phase = 'ready';
  for (const id of ['run', 'calibrate']) $<HTMLButtonElement>(id).disabled = false;
  $<HTMLButtonElement>('download-calibration').disabled = calibration() === null;
}

function caseCells(c: CaseResult): string[] {
  const u = c.utilization?.[0];
  const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
  const achieved = c.compute ? formatFlops(c.compute.achievedTflops, c.compute.unit.includes('nt8')) : c.bandwidth ? `${formatNumber(c.bandwidth.medianGBps)} GB/s` : '—';
  const spread = c.summary === null ? '—' : c.timer?.kind === 'host-wall' ? `p99 ${formatNs(c.summary.p99)}` : c.summary.cv === null ? '—' : `cv ${(c.summary.cv * 100).toFixed(1)}%`;
  return [c.id, c.status === 'ok' ? 'ok' : `${c.status}${c.message ? `: ${c.message}` : ''}`, c.check === null ? '—' : c.check.passed ? 'pass' : 'FAIL', c.summary ? formatNs(c.summary.p50) : '—', spread, achieved, pct(u?.mfu), pct(u?.mbu), u?.bound ?? '—'];
}

/** The overhead suite's own table (costs, fits, timers), shown only when the run has it. */
function showOverhead(run: RunResult): void {
  const rows = overheadRows(run);
  $('overhead').hidden = rows.length === 0;
  const body = $<HTMLTableElement>('overhead-table').tBodies[0] as HTMLTableSectionElement;
  body.replaceChildren(...rows.map((r) => row([r.name, r.status, r.what, r.median, r.p99, r.n, r.fit, r.timer, r.note], r.status)));
}

function drawPlots(run: RunResult): void {
  for (const c of charts.splice(0)) c.destroy();
  const roof = rooflineData(run);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
  const units = [...new Set(roof.cases.map((c) => c.unit))];
  charts.push(
    new Chart($<HTMLCanvasElement>('roofline'), {
      type: 'scatter',
      data: {
        datasets: [
          ...roof.roofs.map((r, i) => ({ type: 'line' as const, label: `${r.label} roof`, data: r.points, borderColor: colors[i % colors.length] ?? '#000', borderDash: [6, 3], pointRadius: 0 })),
          ...units.map((u, i) => ({ label: `cases on ${u}`, data: roof.cases.filter((c) => c.unit === u), backgroundColor: colors[(i + 4) % colors.length] ?? '#000', pointRadius: 5 })),
        ],
      },
      options: { maintainAspectRatio: false, animation: false, scales: { x: { type: 'logarithmic', title: { display: true, text: 'FLOP/byte' } }, y: { type: 'logarithmic', title: { display: true, text: 'TFLOP/s' } } } },
    }),
  );
  charts.push(
    new Chart($<HTMLCanvasElement>('bandwidth'), {
      type: 'line',
      data: { datasets: bandwidthData(run).map((b, i) => ({ label: b.kernel, data: b.points, borderColor: colors[i % colors.length] ?? '#000' })) },
      options: { maintainAspectRatio: false, animation: false, scales: { x: { type: 'logarithmic', title: { display: true, text: 'bytes' } }, y: { title: { display: true, text: 'GB/s' } } } },
    }),
  );
}

function environment(): RunEnvironment {
  if (acquired === null) throw new Error('no device');
  const cal = calibration();
  return {
    device: acquired.device,
    info: acquired.info,
    loadKernel: loadKernelBundled,
    platform: browserPlatform(),
    toolVersion: __WGBENCH_VERSION__,
    readHostRss: () => null,
    peaks: runPeaks(acquired.info, cal),
    ...(scratch === null || scratch === undefined ? {} : { storage: scratch }),
  };
}

async function execute(suites: Suite[], quick: boolean, onDone: (run: RunResult) => void): Promise<void> {
  const tbody = $<HTMLTableElement>('results-table').tBodies[0] as HTMLTableSectionElement;
  tbody.replaceChildren();
  const progress = $<HTMLProgressElement>('progress');
  progress.hidden = false;
  progress.value = 0;
  abort = new AbortController();
  state.phase = 'running';
  for (const id of ['run', 'calibrate', 'export']) $<HTMLButtonElement>(id).disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  try {
    const run = await runSuites(environment(), {
      suites,
      quick,
      signal: abort.signal,
      onProgress: (e) => {
        if (e.type === 'planned') progress.max = Math.max(1, e.total);
        else if (e.type === 'case-start') setStatus('run-status', `${e.index + 1}/${e.total}: ${e.name}…`);
        else {
          progress.value = e.index + 1;
          tbody.append(row(caseCells(e.result), e.result.status));
        }
      },
    });
    state.run = run;
    onDone(run);
    drawPlots(run);
    showOverhead(run);
    const failed = run.cases.filter((c) => c.status === 'failed' || c.status === 'error').length;
    setStatus('run-status', `${run.status}: ${run.cases.length} cases, ${failed} failed or errored${run.message ? ` — ${run.message}` : ''}`, failed > 0);
    if (loaded !== null) showComparison();
    state.phase = 'done';
  } catch (e) {
    state.phase = 'error';
    state.error = e instanceof Error ? e.message : String(e);
    setStatus('run-status', state.error, true);
  } finally {
    abort = null;
    for (const id of ['run', 'calibrate']) $<HTMLButtonElement>(id).disabled = false;
    $<HTMLButtonElement>('export').disabled = state.run === null;
    $<HTMLButtonElement>('stop').disabled = true;
  }
}

function download(name: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  a.download = name;
  a.click();
  URL.revokeObjectURL(a.href);
}

function showComparison(): void {
  if (loaded === null || state.run === null) return;
  const section = $('comparison');
  section.hidden = false;
  try {
    const cmp = compareRuns(loaded, state.run);
    setStatus('comparison-status', `base: ${cmp.baseDevice}; new: this run. Mann–Whitney U at α = ${cmp.options.alpha}, threshold ${cmp.options.thresholdPct}%.`);
    $<HTMLTableElement>('comparison-table').replaceChildren(
      row(['case', 'base median', 'new median', 'change', 'p', 'verdict']),
      ...cmp.cases.map((c) => row([c.id, c.baseMedianNs === null ? '—' : formatNs(c.baseMedianNs), c.newMedianNs === null ? '—' : formatNs(c.newMedianNs), c.changePct === null ? '—' : `${c.changePct.toFixed(1)}%`, c.pValue === null ? '—' : c.pValue.toPrecision(2), c.verdict])),
    );
  } catch (e) {
    setStatus('comparison-status', e instanceof DeviceMismatchError ? e.message.replace(' Pass --allow-device-mismatch to compare anyway', '') : String(e), true);
  }
}

function setup(): void {
  const fieldset = $('suites');
  for (const { suite, checked } of SUITES) {
    const label = document.createElement('label');
    label.title = suite.description;
    label.innerHTML = `<input type="checkbox" name="suite" value="${suite.name}" ${checked ? 'checked' : ''}> ${suite.name}`;
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
    void execute(calibrationSuites(info, $<HTMLInputElement>('quick').checked), $<HTMLInputElement>('quick').checked, (run) => {
      if (run.status !== 'complete') return;
      browserCalibrationStore.save(calibrationKey(info), calibrationFromRun(run, calibrationKey(info)));
      $<HTMLButtonElement>('download-calibration').disabled = false;
    });
  });
  $('export').addEventListener('click', () => {
    if (state.run !== null) download(`wgbench-${state.run.startedAt.replace(/[:.]/g, '-')}.json`, renderJson(state.run));
  });
  $('download-calibration').addEventListener('click', () => {
    const cal = calibration();
    if (cal !== null) download(`wgbench-calibration-${cal.profile.key}.json`, `${JSON.stringify(cal.profile, null, 2)}\n`);
  });
  $<HTMLInputElement>('load').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file === undefined) return;
    void file.text().then((text) => {
      try {
        loaded = parseRunResult(JSON.parse(text), file.name);
        $('comparison').hidden = false;
        setStatus('comparison-status', `loaded ${file.name} (${loaded.cases.length} cases); run to compare`);
        showComparison();
      } catch (err) {
        $('comparison').hidden = false;
        setStatus('comparison-status', err instanceof Error ? err.message : String(err), true);
      }
    });
  });
}

setup();
void probe();
void setupLabUpload(() => state.run, (text, error) => { setStatus('upload-status', text, error); });
