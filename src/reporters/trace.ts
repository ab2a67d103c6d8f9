import type { RunResult } from '../results/schema.js';
import { deviceTitle } from './describe.js';

interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M';
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, string | number | boolean | null>;
}

/**
 * Chrome trace-event JSON (opens in Perfetto or chrome://tracing): a span per case on the host
 * track, and each timed pass on a GPU track from its timestamps. GPU and host clocks differ; each
 * case's passes are placed from the wall-clock moment its timed passes began.
 */
export function renderTrace(run: RunResult): string {
  const t0 = Date.parse(run.startedAt);
  const us = (iso: string): number => (Date.parse(iso) - t0) * 1000;
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid: 1, tid: 1, args: { name: `wgbench host (${run.platform.runtime})` } },
    { name: 'thread_name', ph: 'M', pid: 1, tid: 1, args: { name: 'cases' } },
    { name: 'process_name', ph: 'M', pid: 2, tid: 1, args: { name: `GPU: ${deviceTitle(run.device)}` } },
    { name: 'thread_name', ph: 'M', pid: 2, tid: 1, args: { name: `timed passes (${run.timer.kind})` } },
  ];
  for (const c of run.cases) {
    events.push({
      name: c.id,
      cat: c.suite,
      ph: 'X',
      ts: us(c.startedAt),
      dur: c.durationMs * 1000,
      pid: 1,
      tid: 1,
      args: { status: c.status, medianNsPerDispatch: c.summary?.p50 ?? null, message: c.message ?? null },
    });
    if (c.samplesNs.length === 0) continue;
    const start = us(c.timingStartedAt ?? c.startedAt);
    let backToBack = 0;
    c.samplesNs.forEach((ns, i) => {
      const offsetNs = c.passStartsNs?.[i] ?? backToBack;
      backToBack = offsetNs + ns;
      events.push({
        name: `${c.name} pass ${i + 1}`,
        cat: 'gpu',
        ph: 'X',
        ts: start + offsetNs / 1000,
        dur: ns / 1000,
        pid: 2,
        tid: 1,
        args: { case: c.id, dispatches: c.dispatchesPerPass, ns },
      });
    });
  }
  return `${JSON.stringify({
    traceEvents: events,
    displayTimeUnit: 'ns',
    otherData: { tool: `wgbench ` + run.tool.version, startedAt: run.startedAt },
  })}\n`;
}
