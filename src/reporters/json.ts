import type { RunResult } from '../results/schema.js';

/** Results as JSON text: plain data, stable key order as built, trailing newline for diffs. */
export function renderJson(run: RunResult): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}
