import { constants, readdirSync, rmSync, statSync } from 'node:fs';
import { access, open, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScratchFile, ScratchStorage } from '../suites/types.js';

const MiB = 1024 * 1024;
/** Room kept free beyond the planned files, so a benchmark never fills a disk to the last byte. */
const HEADROOM_BYTES = 256 * MiB;

const live = new Set<string>();
let exitHookInstalled = false;

/** Scratch files are removed at exit too (Ctrl-C twice ends with process.exit, which runs this). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const path of live) rmSync(path, { force: true });
  });
}

export interface NodeScratchOptions {
  /** Drop the OS page cache before timed reads (needs root; writes /proc/sys/vm/drop_caches). */
  dropCaches?: boolean;
}

/** Scratch files in a folder on disk, with positional I/O and fsync. */
export function createNodeScratchStorage(dir: string, options: NodeScratchOptions = {}): ScratchStorage {
  let counter = 0;
  return {
    location: dir,
    durability: 'fsync returned',
    async refuse(bytes) {
      let isDir: boolean;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {
        return `scratch directory ${dir} does not exist; create it or pass --scratch-dir DIR`;
      }
      if (!isDir) return `${dir} is not a directory; pass --scratch-dir DIR`;
      try {
        await access(dir, constants.W_OK);
      } catch {
        return `scratch directory ${dir} is not writable; pass --scratch-dir DIR with a writable folder`;
      }
      const fs = await statfs(dir);
      const free = fs.bavail * fs.bsize;
      if (free < bytes + HEADROOM_BYTES) {
        return (
          `scratch directory ${dir} has ${(free / MiB).toFixed(0)} MiB free, the run needs ` +
          `${((bytes + HEADROOM_BYTES) / MiB).toFixed(0)} MiB (with ${HEADROOM_BYTES / MiB} MiB headroom); ` +
          `pass --scratch-dir DIR on a larger disk or use --quick`
        );
      }
      return null;
    },
    async create(bytes) {
      installExitHook();
      const path = join(dir, `wgbench-scratch-${process.pid}-${counter++}.bin`);
      const handle = await open(path, 'w+');
      live.add(path);
      await handle.truncate(bytes);
      const file: ScratchFile = {
        path,
        async write(data, position) {
          let done = 0;
          while (done < data.byteLength) {
            const { bytesWritten } = await handle.write(data, done, data.byteLength - done, position + done);
            done += bytesWritten;
          }
        },
        async read(into, position) {
          let done = 0;
          while (done < into.byteLength) {
            const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
            if (bytesRead === 0) throw new Error(`${path}: unexpected end of file at ${position + done}`);
            done += bytesRead;
          }
        },
        sync: () => handle.sync(),
        async evictCache() {
          if (options.dropCaches !== true) return null;
          await handle.sync();
          try {
            await writeFile('/proc/sys/vm/drop_caches', '1');
            return 'page cache dropped before each timed read (/proc/sys/vm/drop_caches)';
          } catch {
            return null;
          }
        },
        async close() {
          await handle.close();
          rmSync(path, { force: true });
          live.delete(path);
        },
      };
      return file;
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists under another user.
    return (e as { code?: string }).code === 'EPERM';
  }
}

/**
 * Removes scratch files that a killed run (SIGKILL: no exit hook ran) left in `dir`: those named
 * for a process that no longer exists. Returns what was removed.
 */
export function sweepStaleScratch(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^wgbench-scratch-(\d+)-\d+\.bin$/.exec(name);
    if (m === null || alive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

/** Scratch files still on disk (for tests of the cleanup). */
export function liveScratchFiles(): string[] {
  return [...live];
}
