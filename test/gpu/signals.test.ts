import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRunConsistency } from '../../src/results/consistency.js';
import { parseRunResult, type RunResult } from '../../src/results/schema.js';
import { testBackendFlag } from '../helpers/gpu.js';
import { scaled } from '../helpers/timeouts.js';

// Real processes and real signals: the wgbench command as CI and `timeout` meet it.
const BIN = join(process.cwd(), 'bin', 'wgbench.js');

function start(args: string[]): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args, '--backend', testBackendFlag(), '--no-progress'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', WGBENCH_CALIBRATION_DIR: join(tmpdir(), 'wgbench-signals-no-calibration') },
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, exit, stderr: () => err };
}

async function until(what: string, test: () => boolean, timeoutMs = scaled(240_000)): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readResults(file: string): RunResult {
  const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
  checkRunConsistency(run, file);
  return run;
}

function casesIn(file: string): number {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { cases: unknown[] }).cases.length;
  } catch {
    return 0;
  }
}

describe('signals end a run as Ctrl-C does', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)('%s after the first case: results saved as interrupted, exit %i', async (signal, code) => {
    const file = join(mkdtempSync(join(tmpdir(), 'wgbench-sig-')), 'run.json');
    const p = start(['run', '--suite', 'memcopy,peak', '--quick', '--json', file]);
    await until('the first case', () => casesIn(file) >= 1);
    p.child.kill(signal);
    expect(await p.exit, p.stderr()).toBe(code);
    const run = readResults(file);
    expect(run.status).toBe('interrupted');
    expect(run.finishedAt).not.toBeNull();
    expect(run.cases.length).toBeGreaterThanOrEqual(1);
    expect(run.cases.every((c) => c.status === 'ok')).toBe(true);
    expect(p.stderr()).toContain(`${signal}: stopping after the timed pass in flight`);
  });

  it('a second signal still leaves a valid file that says interrupted', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wgbench-sig-')), 'run.json');
    const p = start(['run', '--suite', 'memcopy,peak', '--quick', '--json', file]);
    await until('the first case', () => casesIn(file) >= 1);
    p.child.kill('SIGINT');
    p.child.kill('SIGTERM');
    expect([130, 143]).toContain(await p.exit);
    const run = readResults(file);
    expect(run.status).toBe('interrupted');
    expect(run.finishedAt).not.toBeNull();
  });

  it(
    "SIGTERM during kvtier removes its scratch files, and a killed run's stale scratch is swept by " + 'the next',
    async () => {
      const scratch = mkdtempSync(join(tmpdir(), 'wgbench-scratch-dir-'));
      const file = join(scratch, 'run.json');
      const p = start(['run', '--suite', 'kvtier', '--quick', '--json', file, '--scratch-dir', scratch]);
      const scratchFiles = (): string[] => readdirSync(scratch).filter((n) => n.startsWith('wgbench-scratch-'));
      await until('a scratch file', () => scratchFiles().length > 0);
      p.child.kill('SIGTERM');
      expect(await p.exit, p.stderr()).toBe(143);
      expect(scratchFiles()).toEqual([]);
      expect(readResults(file).status).toBe('interrupted');
      // What SIGKILL leaves (no exit hook runs): a file named for a process that is gone.
      const stale = join(scratch, 'wgbench-scratch-2147483646-0.bin');
      writeFileSync(stale, 'x');
      const next = start(['run', '--suite', 'memcopy', '--quick', '--passes', '1', '--scratch-dir', scratch]);
      expect(await next.exit, next.stderr()).toBe(0);
      expect(existsSync(stale)).toBe(false);
      expect(next.stderr()).toContain(`removed ${stale}, left by a run that was killed`);
    },
  );

  it('SIGKILL of the launcher takes the CLI process with it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wgbench-sig-')), 'run.json');
    const p = start(['run', '--suite', 'memcopy,peak', '--quick', '--json', file]);
    await until('the first case', () => casesIn(file) >= 1);
    p.child.kill('SIGKILL');
    await p.exit;
    // The CLI process (a child of the launcher) ends within its watch interval; the file stays valid.
    await new Promise((r) => setTimeout(r, 1500));
    const size = readFileSync(file, 'utf8').length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(readFileSync(file, 'utf8').length).toBe(size);
    expect(readResults(file).status).toBe('running');
  });
});
