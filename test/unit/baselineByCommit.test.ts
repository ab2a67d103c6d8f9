import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitSource, resolveRevision } from '../../src/platform/gitSource.js';
import { parseRunResult, type CaseResult } from '../../src/results/schema.js';
import { runCli } from '../helpers/cli.js';
import { withSamples } from '../helpers/sampleRun.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const COPY = 'memcopy/copy/bytes=134217728';
const NO_CI = {
  GITHUB_SHA: undefined,
  CI_COMMIT_SHA: undefined,
  GITHUB_REF_NAME: undefined,
  GITHUB_HEAD_REF: undefined,
};

/** The recorded run at a commit, a minute later per step, with the copy case's samples scaled. */
function at(dir: string, step: number, commit: string, factor: number): string {
  const run = parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);
  run.startedAt = new Date(Date.parse(run.startedAt) + step * 60_000).toISOString();
  run.source = { commit, branch: 'main', label: null };
  const i = run.cases.findIndex((c) => c.id === COPY);
  const c = run.cases[i] as CaseResult;
  run.cases[i] = withSamples(
    c,
    c.samplesNs.map((s) => s * factor),
  );
  const file = join(dir, `run-${step}.json`);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

describe('baselines a CI would pick', () => {
  it('a run records the commit and branch of its working directory, or what the CI names', () => {
    const repo = mkdtempSync(join(tmpdir(), 'wgbench-git-'));
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'feature');
    writeFileSync(join(repo, 'f'), 'x');
    git('add', 'f');
    git('commit', '-q', '-m', 'one');
    const head = git('rev-parse', 'HEAD').trim();
    expect(gitSource(repo, NO_CI)).toEqual({ commit: head, branch: 'feature' });
    expect(resolveRevision('feature', repo)).toBe(head);
    expect(resolveRevision('no-such-ref', repo)).toBeNull();
    expect(resolveRevision('--help', repo)).toBeNull();
    const plain = mkdtempSync(join(tmpdir(), 'wgbench-nogit-'));
    expect(gitSource(plain, NO_CI)).toEqual({ commit: null, branch: null });
    expect(gitSource(plain, { ...NO_CI, GITHUB_SHA: 'a'.repeat(40), GITHUB_REF_NAME: 'main' })).toEqual({
      commit: 'a'.repeat(40),
      branch: 'main',
    });
  });

  it('gate --history --baseline-ref takes the runs of that commit, and says so when it has none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-ref-'));
    const db = join(dir, 'history.sqlite');
    const base = 'a1b2c3d4'.repeat(5);
    const slowed = 'b2c3d4e5'.repeat(5);
    // The merge-base ran at full speed; a later commit on the branch already made copy 30% slower.
    const added = await runCli(['history', 'add', at(dir, 1, base, 1), at(dir, 2, slowed, 1.3), '--db', db]);
    expect(added.code, added.err).toBe(0);
    const next = at(dir, 3, 'c3d4e5f6'.repeat(5), 1.3);
    const regression = /regression_timeNs_memcopy\/copy\/bytes=134217728 +│ FAILED/;
    // Against the merge-base the regression shows; against the latest run alone it hides.
    const byRef = await runCli(['gate', next, '--history', '--baseline-ref', base.slice(0, 10), '--db', db]);
    expect(byRef.code, byRef.out).toBe(1);
    expect(byRef.out).toMatch(regression);
    const bySlowed = await runCli(['gate', next, '--history', '--baseline-ref', slowed.slice(0, 10), '--db', db]);
    expect(bySlowed.code, bySlowed.out).toBe(0);
    const missing = await runCli(['gate', next, '--history', '--baseline-ref', 'ffff0000', '--db', db]);
    expect(missing.err).toMatch(/no run of commit ffff0000 on this device .*; the baseline is the last 5 runs/);
    const notARef = await runCli(['gate', next, '--history', '--baseline-ref', 'no/such/ref', '--db', db]);
    expect(notARef.code).toBe(2);
    expect(notARef.err).toMatch(/"no\/such\/ref" names no commit here/);
    const noHistory = await runCli(['gate', next, '--baseline-ref', base, '--db', db]);
    expect(noHistory.code).toBe(2);
    expect(noHistory.err).toMatch(/--baseline-ref.*add --history/);
  });

  it('gate --history matches a case run at another size by its key, on throughput', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-key-'));
    const db = join(dir, 'history.sqlite');
    const added = await runCli([
      'history',
      'add',
      at(dir, 1, 'a'.repeat(40), 1),
      at(dir, 2, 'a'.repeat(40), 1),
      '--db',
      db,
    ]);
    expect(added.code, added.err).toBe(0);
    // The same copy kernel over twice the bytes: a new id, the same key (memcopy/copy/dram).
    const doubled = (step: number, factor: number): string => {
      const file = at(dir, step, 'b'.repeat(40), 1);
      const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
      const i = run.cases.findIndex((c) => c.id === COPY);
      const c = run.cases[i] as CaseResult;
      const bytes = 2 * Number(c.params['bufferBytes']);
      run.cases[i] = withSamples(
        {
          ...c,
          id: `memcopy/copy/bytes=${bytes}`,
          params: { ...c.params, bufferBytes: bytes, workingSetBytes: 2 * bytes },
          bandwidth: c.bandwidth ? { ...c.bandwidth, bytesPerDispatch: 2 * c.bandwidth.bytesPerDispatch } : null,
        },
        c.samplesNs.map((t) => t * 2 * factor),
      );
      writeFileSync(file, JSON.stringify(run));
      return file;
    };
    // The fixture's other cases are up to ±19% uncertain: a 25% threshold keeps them testable.
    const config = join(dir, 'gates.json');
    writeFileSync(config, JSON.stringify({ maxRegressionPct: 25 }));
    const same = await runCli(['gate', doubled(3, 1), '--history', '--db', db, '--config', config]);
    expect(same.code, same.out).toBe(0);
    expect(same.out).toMatch(/regression_timeNs_memcopy\/copy\/bytes=268435456 +│ PASSED +│ .* 0\.0% ≤ 25%/);
    // The table wraps its messages: read them with the borders taken out.
    expect(same.out.replace(/[│\s]+/g, ' ')).toMatch(
      /by key at another size, scaled by work: memcopy\/copy\/bytes=268435456/,
    );
    expect(same.out).not.toMatch(/missing_memcopy\/copy\/bytes=134217728/);
    const slower = await runCli(['gate', doubled(4, 1.3), '--history', '--db', db, '--config', config]);
    expect(slower.code, slower.out).toBe(1);
    expect(slower.out).toMatch(/regression_timeNs_memcopy\/copy\/bytes=268435456 +│ FAILED/);
  });
});
