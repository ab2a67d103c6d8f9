import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/ci/compare.js';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { nodeRunEnvironment } from '../../src/platform/node.js';
import { describeCanary } from '../../src/reporters/describe.js';
import { parseRunResult, type RunResult } from '../../src/results/schema.js';
import { CANARY_PASSES } from '../../src/runner/canary.js';
import { runSuites } from '../../src/runner/run.js';
import { createMemcopySuite } from '../../src/suites/memcopy.js';
import { createPeakSuite } from '../../src/suites/peak.js';
import { realDevice } from '../helpers/gpu.js';
import { scaled } from '../helpers/timeouts.js';

const MiB = 1024 * 1024;
let acquired: AcquiredDevice;

beforeAll(async () => {
  acquired = await realDevice();
});

afterAll(() => {
  acquired?.device.destroy();
});

const suites = () => [createMemcopySuite({ sizesBytes: [16 * MiB] }), createPeakSuite()];

/** Spinning processes, two per core: the neighbour a shared machine or a second job brings. */
function busyLoop(): ChildProcess[] {
  return Array.from({ length: 2 * availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

describe('the canary on a real adapter', () => {
  it(
    'is read before the first case and after every timed one, each case recording its move',
    async () => {
      const run = await runSuites(nodeRunEnvironment(acquired), {
        suites: suites(),
        quick: true,
        seed: 7,
        canary: true,
      });
      expect(run.status).toBe('complete');
      parseRunResult(JSON.parse(JSON.stringify(run)));
      const timed = run.cases.filter((c) => c.samplesNs.length > 0);
      expect(run.canary, run.canaryUnavailable).toBeTruthy();
      const canary = run.canary as NonNullable<RunResult['canary']>;
      expect(canary.readings).toHaveLength(timed.length + 1);
      // The reference is the fastest reading: every drift is a slowdown from it.
      expect(canary.reference.medianNs).toBe(Math.min(...canary.readings.map((r) => r.medianNs)));
      expect(canary.maxDriftPct).toBeGreaterThanOrEqual(0);
      for (const c of timed) expect(c.canary?.driftPct).toBeGreaterThanOrEqual(0);
      expect(canary.passesPerReading).toBe(CANARY_PASSES);
      expect(canary.reference.noise).not.toBeNull();
      // Readings are in time order, and each case sits between the two readings around it.
      for (const [i, c] of timed.entries()) {
        expect(c.canary?.beforeNs).toBe(canary.readings[i]?.medianNs);
        expect(c.canary?.afterNs).toBe(canary.readings[i + 1]?.medianNs);
        expect((canary.readings[i + 1]?.atMs ?? 0) > (canary.readings[i]?.atMs ?? 0)).toBe(true);
      }
      for (const c of run.cases.filter((x) => x.samplesNs.length === 0)) expect(c.canary).toBeUndefined();
      expect(canary.touchedCases).toBe(run.cases.filter((c) => c.canary?.touched === true).length);
      expect(describeCanary(run)).toMatch(/^canary: (held still|unsteady|MOVED)/);

      const off = await runSuites(nodeRunEnvironment(acquired), {
        suites: [createMemcopySuite({ sizesBytes: [16 * MiB] })],
        quick: true,
      });
      // A library caller that does not ask for the canary does not pay for it.
      expect(off.canary).toBeUndefined();
      expect(off.cases.every((c) => c.canary === undefined)).toBe(true);
    },
    scaled(90_000),
  );

  it(
    'a busy loop started mid-run moves the canary: the cases it touched are flagged, compare calls them ambiguous',
    async () => {
      const quiet = await runSuites(nodeRunEnvironment(acquired), {
        suites: suites(),
        quick: true,
        seed: 7,
        canary: true,
      });
      let busy: ChildProcess[] = [];
      let busyFrom = -1;
      try {
        const loaded = await runSuites(nodeRunEnvironment(acquired), {
          suites: suites(),
          quick: true,
          seed: 7,
          canary: true,
          // After the first case and its canary reading: the cases from the second on run beside it.
          onCaseDone: async (partial) => {
            if (partial.cases.length === 1 && busy.length === 0) {
              busyFrom = 1;
              busy = busyLoop();
              // On lavapipe the spinners took about a second to slow the canary down.
              await new Promise((resolve) => setTimeout(resolve, 1500));
            }
          },
        });
        for (const p of busy) p.kill('SIGKILL');
        busy = [];
        expect(loaded.status).toBe('complete');
        const beside = loaded.cases.slice(busyFrom).filter((c) => c.samplesNs.length > 0);
        expect(beside.length).toBeGreaterThanOrEqual(4);
        const touched = beside.filter((c) => c.canary?.touched === true);
        // The canary moved past the noise of cases that ran beside the loop. Not of every one: on
        // lavapipe the canary beside spinners alternates between 2.5× slower and unmoved spells.
        expect(touched.length, JSON.stringify(beside.map((c) => [c.id, c.canary, c.noise?.reached]))).toBeGreaterThan(
          0,
        );
        expect(Math.max(...touched.map((c) => Math.abs(c.canary?.driftPct ?? 0)))).toBeGreaterThan(20);
        expect(loaded.canary?.touchedCases).toBeGreaterThanOrEqual(touched.length);
        expect(describeCanary(loaded)).toMatch(/^canary: MOVED \+/);

        const cmp = compareRuns(quiet, loaded);
        const verdicts = touched.map((c) => cmp.cases.find((x) => x.newId === c.id));
        // A touched case is called slower or faster only where its change is past what the canary's
        // move could make (src/ci/compare.ts); the rest are ambiguous.
        for (const v of verdicts.filter((x) => x?.verdict === 'slower' || x?.verdict === 'faster')) {
          const sides = [loaded, quiet].map((r) => r.cases.find((x) => x.id === v?.newId)?.canary);
          const factor = sides.reduce((f, c) => (c?.touched === true ? f * (1 + Math.abs(c.driftPct) / 100) : f), 1);
          const change = (v?.newMedianNs ?? 1) / (v?.baseMedianNs ?? 1);
          expect(Math.max(change, 1 / change), v?.reason).toBeGreaterThan(factor);
        }
        const ambiguous = verdicts.filter((v) => v?.verdict === 'ambiguous');
        expect(ambiguous.length, JSON.stringify(verdicts.map((v) => [v?.id, v?.verdict, v?.reason]))).toBeGreaterThan(
          0,
        );
        for (const v of ambiguous) expect(v?.reason).toMatch(/canary moved .*[+-][\d.]+% beside the new run's case/);
      } finally {
        for (const p of busy) p.kill('SIGKILL');
      }
    },
    scaled(120_000),
  );
});
