import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, WriteError, type WritableHandle } from '../../src/platform/atomicFile.js';
import { saveCalibration } from '../../src/platform/calibrationStore.js';
import { saveTuning } from '../../src/platform/tuningStore.js';
import type { CalibrationProfile } from '../../src/probe/calibration.js';
import type { StoredTuning } from '../../src/tuning/stored.js';
import { runCli } from '../helpers/cli.js';
import { LLVMPIPE, llvmpipeProfile } from '../helpers/profiles.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
// Padding in the evidence so the file is larger than the space left on the small disk.
const bigProfile = (): CalibrationProfile =>
  llvmpipeProfile(
    0.02,
    20,
    Array.from({ length: 2000 }, (_, i) => ({
      unit: 'fp32',
      caseId: `peak/fma-f32/${i}`,
      value: i,
      valueUnit: 'TFLOP/s',
    })),
  );
const DEVICE = LLVMPIPE;

/** A handle that takes `limit` bytes and then no more, as a full disk does. */
function shortHandle(limit: number): WritableHandle {
  let taken = 0;
  return {
    write: (_b, _o, length) => {
      const n = Math.max(0, Math.min(length, limit - taken));
      taken += n;
      return Promise.resolve({ bytesWritten: n });
    },
    sync: () => Promise.resolve(),
    stat: () => Promise.resolve({ size: taken }),
    close: () => Promise.resolve(),
  };
}

describe('atomic writes never report a torn file as written', () => {
  it(
    'a short write (the disk took 8192 of 10600 bytes) is a WriteError; the previous file and no temp are ' + 'left',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wgbench-short-'));
      const file = join(dir, 'run.json');
      writeFileSync(file, 'previous');
      const err = await writeFileAtomic(file, 'x'.repeat(10_600), {
        openFile: () => Promise.resolve(shortHandle(8192)),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WriteError);
      expect((err as WriteError).code).toBe('SHORT_WRITE');
      expect((err as WriteError).message).toMatch(
        /could not write .*run\.json: .*\(8192 of 10600 bytes reached the disk\); the previous file, if any, is kept/,
      );
      expect(readFileSync(file, 'utf8')).toBe('previous');
      expect(readdirSync(dir)).toEqual(['run.json']);
    },
  );
});

/** A 256 KiB tmpfs, filled to leave `free` bytes; only root can mount one (CI runs as root). */
const MOUNT = join(tmpdir(), `wgbench-fulldisk-${process.pid}`);
let mounted = false;
function clear(): void {
  for (const name of readdirSync(MOUNT)) rmSync(join(MOUNT, name), { recursive: true, force: true });
}
function fill(free: number): void {
  rmSync(join(MOUNT, 'filler'), { force: true });
  const avail = Number(execFileSync('df', ['--output=avail', '-B1', MOUNT]).toString().split('\n')[1]?.trim());
  writeFileSync(join(MOUNT, 'filler'), Buffer.alloc(Math.max(0, avail - free)));
}
/** An output file holding "previous" on an emptied disk that then has only `free` bytes left. */
function previousFileOnFullDisk(name: string, free: number): string {
  clear();
  const out = join(MOUNT, name);
  writeFileSync(out, 'previous');
  fill(free);
  return out;
}

describe('on a full disk (a small tmpfs)', () => {
  beforeAll(() => {
    mkdirSync(MOUNT, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', MOUNT], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', MOUNT]);
    rmSync(MOUNT, { recursive: true, force: true });
  });
  const needsMount = (ctx: { skip: (why: string) => void }): void => {
    if (!mounted)
      ctx.skip('mounting a tmpfs needs root (CI runs as root); the injected short write above runs everywhere');
  };

  it('report --html/--md/--junit exit 1 naming the file and ENOSPC, keeping each previous file', async (ctx) => {
    needsMount(ctx);
    for (const flag of ['--html', '--md', '--junit']) {
      const out = previousFileOnFullDisk(`out-${flag.slice(2)}`, 512);
      const r = await runCli(['report', RECORDED, flag, out]);
      expect(r.code, `${flag}: ${r.err}`).toBe(1);
      expect(r.err).toMatch(new RegExp(`could not write ${out}: .*ENOSPC|could not write ${out}: .*disk took no more`));
      expect(r.out).not.toMatch(/written to/);
      expect(readFileSync(out, 'utf8')).toBe('previous');
      expect(readdirSync(MOUNT).filter((n) => n.startsWith(`out-${flag.slice(2)}.`))).toEqual([]);
    }
  });

  it(
    'run --json exits 1 at its first save, naming the file, before any case is timed; the previous file is ' + 'kept',
    async (ctx) => {
      needsMount(ctx);
      const out = previousFileOnFullDisk('run.json', 1024);
      const r = await runCli(['run', '--suite', 'peak', '--quick', '--no-progress', '--json', out]);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(/could not write .*run\.json: .*ENOSPC/);
      expect(r.out).not.toMatch(/FMA f32/);
      expect(readFileSync(out, 'utf8')).toBe('previous');
      expect(readdirSync(MOUNT).filter((n) => n.startsWith('run.json.'))).toEqual([]);
    },
  );

  it('compare --json exits 1 and keeps the previous file', async (ctx) => {
    needsMount(ctx);
    const out = previousFileOnFullDisk('cmp.json', 256);
    const r = await runCli(['compare', RECORDED, RECORDED, '--json', out]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/could not write .*cmp\.json/);
    expect(readFileSync(out, 'utf8')).toBe('previous');
  });

  it('calibration and tuning saves fail naming the file, keeping the previous one', async (ctx) => {
    needsMount(ctx);
    clear();
    const dir = join(MOUNT, 'calibration');
    mkdirSync(dir, { recursive: true });
    const profile = bigProfile();
    writeFileSync(join(dir, `${profile.key}.json`), 'previous');
    fill(4096);
    await expect(saveCalibration(dir, profile)).rejects.toThrow(/could not write .*calibration.*\.json: .*ENOSPC/);
    expect(readFileSync(join(dir, `${profile.key}.json`), 'utf8')).toBe('previous');
    const tuning: StoredTuning = {
      kind: 'wgbench-tuning',
      schemaVersion: 1,
      key: profile.key,
      device: DEVICE,
      entries: Array.from({ length: 200 }, (_, i) => ({
        family: 'memcopy',
        shapeClass: `copy${i}`,
        description: 'x'.repeat(100),
        kernelHash: 'h',
        source: 'default',
        config: { workgroupSize: 256, elementsPerThread: 4 },
        label: 'l',
        defaultLabel: 'l',
        medianNs: 1,
        defaultMedianNs: 1,
        speedup: 1,
        tunedAt: 't',
        toolVersion: 'v',
      })),
    };
    writeFileSync(join(dir, `${profile.key}.tuning.json`), 'previous');
    await expect(saveTuning(dir, tuning)).rejects.toThrow(/could not write .*tuning\.json: .*ENOSPC/);
    expect(readFileSync(join(dir, `${profile.key}.tuning.json`), 'utf8')).toBe('previous');
  });

  it('history add on a full disk exits 1 naming the database, which keeps what it had', async (ctx) => {
    needsMount(ctx);
    clear();
    const db = join(MOUNT, 'history.sqlite');
    const first = await runCli(['history', 'add', RECORDED, '--db', db]);
    expect(first.code, first.err).toBe(0);
    const run = JSON.parse(readFileSync(RECORDED, 'utf8')) as { startedAt: string; cases: { samplesNs: number[] }[] };
    run.startedAt = '2030-01-01T00:00:00.000Z';
    for (const c of run.cases) c.samplesNs = c.samplesNs.map((x) => x);
    const second = join(tmpdir(), `wgbench-second-${process.pid}.json`);
    writeFileSync(second, JSON.stringify(run));
    fill(1024);
    const r = await runCli(['history', 'add', second, '--db', db]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/could not write the history database .*history\.sqlite: .*(full|SQLITE_FULL|SQLITE_IOERR)/);
    rmSync(join(MOUNT, 'filler'), { force: true });
    const list = await runCli(['history', 'list', '--db', db]);
    expect(list.code, list.err).toBe(0);
    expect(list.out.match(/mesa_software_llvmpipe|llvmpipe/g)?.length ?? 0).toBeGreaterThan(0);
    expect(list.out).not.toMatch(/2030-01-01/);
    expect(existsSync(db)).toBe(true);
  });
});
