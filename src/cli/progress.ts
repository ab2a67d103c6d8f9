import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../runner/run.js';

export interface Progress {
  onEvent: (event: ProgressEvent) => void;
  stop: () => void;
}

/** A bar on a terminal; one line per case elsewhere (CI logs), so progress is never lost. */
export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, enabled: boolean): Progress {
  if (!enabled) return { onEvent: () => {}, stop: () => {} };
  if (stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'wgbench [{bar}] {value}/{total} {case}', hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      onEvent(e) {
        if (e.type === 'planned') {
          bar.start(e.total, 0, { case: '' });
          started = true;
        } else if (e.type === 'case-start') bar.update(e.index, { case: e.name });
        else bar.update(e.index + 1, { case: `${e.result.name}: ${e.result.status}` });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  return {
    onEvent(e) {
      if (e.type === 'case-done') {
        const r = e.result;
        const bw = r.bandwidth === null ? '' : ` ${r.bandwidth.medianGBps.toFixed(1)} GB/s`;
        stream.write(`[${e.index + 1}/${e.total}] ${r.id}: ${r.status}${bw}\n`);
      }
    },
    stop() {},
  };
}
