import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { withTestBackend } from './gpu.js';

// Tests never read or write the user's calibration or history unless they pass their own.
const hermetic = mkdtempSync(join(tmpdir(), 'wgbench-cli-'));

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/** Runs the wgbench CLI in process and returns its exit code and output. */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main(withTestBackend(args), {
    stdout: out.stream,
    stderr: err.stream,
    env: {
      NO_COLOR: '1',
      WGBENCH_CALIBRATION_DIR: join(hermetic, 'calibration'),
      WGBENCH_HISTORY_DB: join(hermetic, 'history.sqlite'),
      ...env,
    },
  });
  return { code, out: out.text(), err: err.text() };
}
