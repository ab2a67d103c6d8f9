import cliProgress from 'cli-progress';
import { describeAchieved } from '../reporters/describe.js';
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
        else bar.update(e.index + 1, { case: `${e.result.name}: ${e.result.status}${achievedSuffix(e.result)}` });
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
        stream.write(`[${e.index + 1}/${e.total}] ${r.id}: ${r.status}${achievedSuffix(r)}\n`);
      }
    },
    stop() {},
  };
}

/** The progress line's figure, in the table's unit; nothing for a case that did not run. */
function achievedSuffix(r: Parameters<typeof describeAchieved>[0] & { status: string }): string {
  const achieved = r.status === 'ok' ? describeAchieved(r) : null;
  return achieved === null ? '' : ` ${achieved}`;
}
