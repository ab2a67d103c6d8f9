import type { Clock } from '../../src/metrics/types.js';

/** A clock the test moves by hand, so rates and latencies have exact expected values. */
export class FakeClock implements Clock {
  constructor(private t = 1000) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
