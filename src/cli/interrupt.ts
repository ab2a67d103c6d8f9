import { constants } from 'node:os';
import type { Io } from './io.js';

/** What CI runners, `timeout`, terminals and closing sessions send. Each is handled alike. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface Interrupt {
  /** Aborted at the first signal: the run stops after the timed pass in flight. */
  signal: AbortSignal;
  /** The first signal received, if any. */
  received: () => StopSignal | null;
  /** 128 + the signal's number, as a shell reports a process a signal ended. */
  exitCode: () => number;
  dispose: () => void;
}

export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * The one signal path of the commands that measure. The first SIGINT, SIGTERM or SIGHUP stops the
 * run after the timed pass in flight; the command then saves what it has, marked interrupted,
 * and cleans up as at any exit. A second signal cannot wait: `emergency` saves synchronously
 * (the results file rewritten as interrupted) and the process exits at once with 128 + signal,
 * through process.exit, so exit hooks still remove scratch files.
 */
export function onInterrupt(io: Pick<Io, 'stderr'>, emergency: (signal: StopSignal) => void): Interrupt {
  const controller = new AbortController();
  let first: StopSignal | null = null;
  const handler = (signal: StopSignal): void => {
    if (first === null) {
      first = signal;
      io.stderr.write(
        `\n${signal}: stopping after the timed pass in flight, then saving the results so far as ` +
          `interrupted (send it again to stop now)\n`,
      );
      controller.abort();
      return;
    }
    try {
      emergency(signal);
    } finally {
      process.exit(signalExitCode(first));
    }
  };
  const handlers = STOP_SIGNALS.map(
    (s) =>
      [
        s,
        () => {
          handler(s);
        },
      ] as const,
  );
  for (const [s, h] of handlers) process.on(s, h);
  return {
    signal: controller.signal,
    received: () => first,
    exitCode: () => (first === null ? 0 : signalExitCode(first)),
    dispose: () => {
      for (const [s, h] of handlers) process.off(s, h);
    },
  };
}
