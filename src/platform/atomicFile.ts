import { closeSync, fstatSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/**
 * A file that could not be written whole. The previous file at that path is untouched; `code` is
 * the system's (ENOSPC, EDQUOT, EACCES …) or SHORT_WRITE when the disk took fewer bytes than sent.
 */
export class WriteError extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
    readonly written: number,
    readonly expected: number,
    detail: string,
  ) {
    super(
      `could not write ${file}: ${detail} (${written} of ${expected} bytes reached the disk); ` +
        'the previous file, if any, is kept',
    );
    this.name = 'WriteError';
  }
}

/** What the writer needs of a file handle; tests substitute one that writes short. */
export interface WritableHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export interface AtomicWriteOptions {
  /** Opens the temporary file; defaults to node:fs/promises' open. */
  openFile?: (path: string, mode: number) => Promise<WritableHandle>;
}

let counter = 0;
/** The target's name, a dot and digits: the form outputs.ts sweeps up after a killed write. */
const tempName = (file: string): string =>
  `${file}.${process.pid}${String(++counter).padStart(4, '0')}${Math.floor(Math.random() * 1e6)}`;

/** The disk took fewer bytes than it was given: no errno says so, only the count. */
const shortWrite = (why: string): Error => Object.assign(new Error(why), { code: 'SHORT_WRITE' });

/** The error both writers throw, from whatever stopped them. */
const writeError = (file: string, e: unknown, written: number, expected: number): WriteError =>
  new WriteError(file, codeOf(e), written, expected, e instanceof Error ? e.message : String(e));

const codeOf = (e: unknown): string => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EIO';
};

const existingMode = (file: string): number => {
  try {
    return statSync(file).mode & 0o777;
  } catch {
    return 0o644;
  }
};

/**
 * Writes `data` to a temporary file beside `file`, checks that every byte reached the disk (a full
 * disk can take part of a write and say so only in the count), syncs it, and renames it over
 * `file`. write-file-atomic ignored a short write, so a full disk left a truncated results file
 * reported as written; this does not.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = tempName(file);
  const openFile = options.openFile ?? ((path: string, mode: number) => open(path, 'wx', mode));
  let handle: WritableHandle | null = null;
  let offset = 0;
  try {
    handle = await openFile(tmp, existingMode(file));
    while (offset < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
      if (bytesWritten <= 0) throw shortWrite('the disk took no more bytes');
      offset += bytesWritten;
    }
    await handle.sync();
    const size = (await handle.stat()).size;
    if (size !== bytes.length) throw shortWrite(`the file is ${size} bytes after writing`);
    const h = handle;
    handle = null;
    await h.close();
    await rename(tmp, file);
  } catch (e) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(file, e, offset, bytes.length);
  }
}

/** The same, synchronously: for the last save in a signal handler, where nothing may wait. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = tempName(file);
  let fd: number | null = null;
  let offset = 0;
  try {
    fd = openSync(tmp, 'wx', existingMode(file));
    while (offset < bytes.length) {
      const n = writeSync(fd, bytes, offset, bytes.length - offset);
      if (n <= 0) throw shortWrite('the disk took no more bytes');
      offset += n;
    }
    fsyncSync(fd);
    const size = fstatSync(fd).size;
    if (size !== bytes.length) throw shortWrite(`the file is ${size} bytes after writing`);
    const f = fd;
    fd = null;
    closeSync(f);
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the write error below is the one to report
      }
    }
    rmSync(tmp, { force: true });
    throw writeError(file, e, offset, bytes.length);
  }
}
