/** Exit codes of the wgbench command; scripts and CI can rely on them. */
export const ExitCode = {
  OK: 0,
  /** At least one case failed its reference check or hit an error. */
  CASE_FAILED: 1,
  /** Bad command line: unknown option or suite, malformed number. */
  USAGE: 2,
  /** No WebGPU adapter could be found; the message says what to install. */
  NO_ADAPTER: 3,
  /** The device was lost mid-run; the results so far were written. */
  DEVICE_LOST: 4,
  /** Interrupted by SIGINT (SIGTERM gives 143, SIGHUP 129: 128 + the signal); the results so far were written. */
  INTERRUPTED: 130,
} as const;
