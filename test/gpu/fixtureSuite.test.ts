import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunResult } from '../../src/results/schema.js';
import { registeredSuites, registerSuite } from '../../src/suites/index.js';
import { saxpySuite } from '../fixtures/suites/saxpy.js';
import { runCli } from '../helpers/cli.js';

// A suite from one file plus its kernel (test/fixtures/suites/saxpy.ts, registered by importing it),
// found everywhere a built-in suite is: the CLI's list, a run, the reports. The page builds it in
// through WGBENCH_PAGE_SUITES (test/browser/page.test.ts).
describe('a suite declared in one file', () => {
  it(
    'is listed by `wgbench suites`, runs checked under `--suite`, and its results render in every ' + 'report',
    async () => {
      expect(registeredSuites().at(-1)).toBe(saxpySuite);
      expect(() => {
        registerSuite({ ...saxpySuite });
      }).toThrow(/a suite named "saxpy" is already registered/);
      const listed = await runCli(['suites']);
      expect(listed.out).toMatch(/^saxpy +z = a·x \+ y in f32: a fixture suite declared in one file$/m);

      const dir = mkdtempSync(join(tmpdir(), 'wgbench-fixture-suite-'));
      const json = join(dir, 'run.json');
      const run = await runCli(['run', '--suite', 'saxpy', '--quick', '--json', json]);
      expect(run.code, run.out + run.err).toBe(0);
      expect(run.out).toMatch(/saxpy 65536 +│ ok/);
      const result = parseRunResult(JSON.parse(readFileSync(json, 'utf8')), json);
      expect(result.cases).toHaveLength(1);
      const [c] = result.cases;
      expect(c).toMatchObject({ suite: 'saxpy', id: 'saxpy/f32/n=65536', key: 'saxpy/f32/stream', status: 'ok' });
      expect(c?.check?.passed).toBe(true);
      expect(c?.check?.method).toBe('relative-error-f32');
      expect(c?.compute?.flopsPerDispatch).toBe(2 * 65536);
      expect(c?.bandwidth?.medianGBps).toBeGreaterThan(0);

      const md = join(dir, 'run.md');
      const html = join(dir, 'run.html');
      const report = await runCli(['report', json, '--md', md, '--html', html]);
      expect(report.code, report.err).toBe(0);
      expect(readFileSync(md, 'utf8')).toMatch(/saxpy 65536/);
      expect(readFileSync(html, 'utf8')).toContain('saxpy/f32/n=65536');
    },
  );

  it("checks the fixture's output before timing it: a kernel that subtracts y fails and is not timed", async () => {
    const right = await (saxpySuite.loadKernel as (name: string) => Promise<string>)('saxpy');
    expect(right).toContain('p.a * x[i] + y[i]');
    registerSuite({
      ...saxpySuite,
      name: 'saxpy-planted',
      loadKernel: () => Promise.resolve(right.replace('p.a * x[i] + y[i]', 'p.a * x[i] - y[i]')),
    });
    const run = await runCli(['run', '--suite', 'saxpy-planted', '--quick']);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/saxpy 65536 +│ FAILED +│ FAIL +│ — /);
    expect(run.out + run.err).toMatch(/output does not match the reference: \d+ wrong; first z\[\d+\]/);
  });
});
