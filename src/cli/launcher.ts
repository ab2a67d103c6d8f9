import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createStderrFilter } from './dawnWarnings.js';

/** Signals a user or CI sends to stop a run; each is handed to the CLI process once. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs the CLI (`entry`) in a child process whose stderr passes through the Dawn-warning filter:
 * Dawn writes its warnings from native code to file descriptor 2, out of reach of anything inside
 * the process. The child gets its own process group, so a terminal's Ctrl-C or `timeout`'s signal
 * to the group reaches it once, through here; it watches for this process's death (SIGKILL) and
 * ends itself. Exit code: the child's, or 128 + its signal.
 */
export function launch(entry: string, args: readonly string[]): void {
  const stderrTty = process.stderr.isTTY;
  const child = spawn(process.execPath, [...process.execArgv, entry, ...args], {
    stdio: ['inherit', 'inherit', 'pipe'],
    detached: true,
    env: {
      ...process.env,
      WGBENCH_LAUNCHED: String(process.pid),
      // The command's start, in epoch ms: a budget (tune --budget) counts from it, start-up included.
      WGBENCH_LAUNCHED_AT: String(performance.timeOrigin),
      ...(stderrTty ? { WGBENCH_STDERR_TTY: '1', WGBENCH_STDERR_COLUMNS: String(process.stderr.columns) } : {}),
    },
  });
  const filter = createStderrFilter();
  child.stderr.setEncoding('utf8');
  let quiet: NodeJS.Timeout | undefined;
  child.stderr.on('data', (chunk: string) => {
    const out = filter.push(chunk);
    if (out !== '') process.stderr.write(out);
    clearTimeout(quiet);
    quiet = setTimeout(() => {
      const note = filter.idle();
      if (note !== '') process.stderr.write(note);
    }, 50);
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  child.on('error', (e) => {
    process.stderr.write(`wgbench: cannot start the CLI process: ${e.message}\n`);
    process.exitCode = 1;
  });
  child.on('close', (code, signal) => {
    clearTimeout(quiet);
    const rest = filter.end();
    if (rest !== '') process.stderr.write(rest);
    for (const s of FORWARDED) process.off(s, forward);
    process.exitCode = code ?? (signal === null ? 1 : 128 + (constants.signals[signal] ?? 0));
  });
}

/**
 * In the CLI process the launcher started: stderr is a pipe, so a terminal behind it is restored
 * for the progress bar, and the process ends itself if the launcher was killed (SIGKILL cannot be
 * forwarded), as it would have died with it had it run in process.
 */
export function adoptLauncher(env: Record<string, string | undefined> = process.env): void {
  const launcher = Number(env['WGBENCH_LAUNCHED']);
  if (!Number.isInteger(launcher) || launcher <= 0) return;
  if (env['WGBENCH_STDERR_TTY'] === '1') {
    const columns = Number(env['WGBENCH_STDERR_COLUMNS']);
    Object.assign(process.stderr, { isTTY: true, ...(Number.isFinite(columns) && columns > 0 ? { columns } : {}) });
  }
  const watch = setInterval(() => {
    if (process.ppid !== launcher) process.kill(process.pid, 'SIGKILL');
  }, 100);
  watch.unref();
}

/**
 * When the launcher started, on this process's performance.now() clock, or null when no launcher
 * started this process (the CLI runs in process, e.g. under a test).
 */
export function launchedAt(env: Record<string, string | undefined> = process.env): number | null {
  const at = Number(env['WGBENCH_LAUNCHED_AT']);
  if (!Number.isFinite(at) || at <= 0) return null;
  return Math.min(performance.now(), at - performance.timeOrigin);
}
