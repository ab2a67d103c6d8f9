import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { testBackends } from '../helpers/gpu.js';
import { ExitCode } from '../../src/cli/exitCodes.js';
import { parseRunResult } from '../../src/results/schema.js';
import { scaled } from '../helpers/timeouts.js';

const cli = (args: string[]): ReturnType<typeof runCli> => runCli(args);

describe('wgbench CLI (in process)', () => {
  it('probe prints the adapter, the timer and the limits', async () => {
    const r = await cli(['probe']);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toMatch(/Adapter\n {2}\S/);
    expect(r.out).toMatch(/Timer\n {2}(timestamp-query|cpu-submit-to-done) \(resolution \d+ ns\)/);
    expect(r.out).toMatch(/maxStorageBufferBindingSize: \d+/);
  });

  it('probe --json gives the device and timer as data', async () => {
    const r = await cli(['probe', '--json']);
    const report = JSON.parse(r.out) as {
      device: { backend: string; deviceFeatures: string[] };
      timer: { kind: string };
    };
    const pinned = testBackends();
    if (pinned !== undefined) expect(report.device.backend).toBe(pinned[0]);
    expect(report.timer.kind).toBe(
      report.device.deviceFeatures.includes('timestamp-query') ? 'timestamp-query' : 'cpu-submit-to-done',
    );
  });

  it(
    'run --suite llm --decode-step --llm-kernels times the decode step the user asked for, with those kernels',
    async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'wgbench-')), 'llm.json');
      const r = await cli([
        'run',
        '--suite',
        'llm',
        '--quick',
        '--model',
        'tiny',
        '--decode-step',
        '2x40',
        '--llm-kernels',
        'gpu',
        '--json',
        file,
        '--passes',
        '2',
        '--no-progress',
      ]);
      expect(r.code, r.err).toBe(ExitCode.OK);
      const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
      const step = run.cases.find((c) => c.params['kind'] === 'decode-step');
      expect(step?.id).toBe('llm/decode-step/model=tiny/batch=2/context=40');
      expect(step?.status).toBe('ok');
      expect(run.cases.every((c) => c.params['linearKernels'] === 'gpu')).toBe(true);
      for (const bad of [
        ['--decode-step', '0x40'],
        ['--decode-step', '2by40'],
        ['--llm-kernels', 'fast'],
      ]) {
        const refused = await cli(['run', '--suite', 'llm', ...bad]);
        expect(refused.code, bad.join(' ')).toBe(ExitCode.USAGE);
        expect(refused.err).toMatch(/BATCHxCONTEXT|Allowed choices are gpu, naive/);
      }
    },
    scaled(600_000),
  );

  it('run --suite memcopy --quick --json writes valid results with a bandwidth per case', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wgbench-')), 'out.json');
    const r = await cli(['run', '--suite', 'memcopy', '--quick', '--json', file, '--passes', '3', '--label', 'pr 42']);
    expect(r.code).toBe(ExitCode.OK);
    expect(r.out).toContain('memcopy');
    expect(r.out).toContain(`results JSON written to ${file}`);
    expect(r.err).toMatch(/\[3\/3\] memcopy\/write\/bytes=\d+: ok [\d.]+ GB\/s/);
    const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(run.status).toBe('complete');
    expect(run.cases).toHaveLength(3);
    for (const c of run.cases) {
      expect(c.bandwidth?.medianGBps).toBeGreaterThan(0);
      expect(c.samplesNs).toHaveLength(3);
    }
    expect(run.timer.kind).toBe(
      run.device.deviceFeatures.includes('timestamp-query') ? 'timestamp-query' : 'cpu-submit-to-done',
    );
    // The code it measured: the checkout's commit (the tests run in the repository), and the label.
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' });
    expect(run.source?.commit ?? null).toBe(head.status === 0 ? head.stdout.trim() : null);
    expect(run.source?.label).toBe('pr 42');
  });

  it('unknown options, suites and malformed numbers are usage errors (exit 2)', async () => {
    const unknownOption = await cli(['run', '--bogus']);
    expect(unknownOption.code).toBe(ExitCode.USAGE);
    expect(unknownOption.err).toMatch(/unknown option '--bogus'/);
    const unknownSuite = await cli(['run', '--suite', 'memcopy,nope']);
    expect(unknownSuite.code).toBe(ExitCode.USAGE);
    expect(unknownSuite.err).toMatch(/unknown suite "nope"; available: memcopy/);
    const badLabel = await cli(['run', '--label', 'a\u001b[31mred']);
    expect(badLabel.code).toBe(ExitCode.USAGE);
    expect(badLabel.err).toMatch(/--label takes 1 to 200 printable characters/);
    const badNumber = await cli(['run', '--passes', '0']);
    expect(badNumber.code).toBe(ExitCode.USAGE);
    expect(badNumber.err).toMatch(/--passes takes a whole number from 1 to 10000, written in decimal digits; got "0"/);
    const badBackend = await cli(['probe', '--backend', 'metal']);
    expect(badBackend.code).toBe(ExitCode.USAGE);
    const unknownCommand = await cli(['bench']);
    expect(unknownCommand.code).toBe(ExitCode.USAGE);
  });

  it('suites lists what can run; --help and --version exit 0', async () => {
    expect((await cli(['suites'])).out).toMatch(/^memcopy +Device-memory bandwidth/);
    const help = await cli(['--help']);
    expect(help.code).toBe(ExitCode.OK);
    expect(help.out).toMatch(/Usage: wgbench/);
    expect((await cli(['--version'])).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('the installed wgbench command', () => {
  // `npm test` builds dist/ first (pretest), so this runs the same code as the source under test.
  const bin = join(process.cwd(), 'bin', 'wgbench.js');

  it('runs from bin/ with exit codes that mean something', () => {
    expect(existsSync(join(process.cwd(), 'dist', 'cli.js'))).toBe(true);
    const ok = spawnSync(process.execPath, [bin, 'probe'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('Adapter');
    const usage = spawnSync(process.execPath, [bin, 'run', '--suite', 'warp-drive'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('unknown suite "warp-drive"');
  });
});
