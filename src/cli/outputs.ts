import { accessSync, constants, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../ci/gateConfig.js';

/** An output a command will write, named by the flag that asked for it. */
export interface PlannedOutput {
  flag: string;
  path: string | undefined;
  /** A folder the command creates if missing (a calibration directory), rather than a file. */
  directory?: boolean;
  /** A file whose missing folders the command creates (the history database). */
  createsFolder?: boolean;
}

/** Canonical form of a path for comparison: symlinks resolved where the path (or its folder) exists. */
function canonical(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return resolve(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

function nearestExisting(path: string): string {
  let p = resolve(path);
  for (;;) {
    try {
      statSync(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/** atomicFile's temporary names: the target's name, a dot, and decimal digits. */
function strayTempsOf(file: string): string[] {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length))).map((n) => resolve(dir, n));
}

/**
 * The one guard every command runs before it reads a device or writes anything: each output path
 * differs from every input and from every other output, its folder exists and is writable, and it
 * is not a folder itself (a directory output must be, or be creatable as, a folder). Temporary
 * files an earlier atomic write left behind (a SIGKILL mid-write) are removed here, since this
 * command is about to write the same file. Throws an InputError (exit 2) naming the flag.
 */
export function guardOutputs(
  outputs: readonly PlannedOutput[],
  inputs: readonly { flag: string; path: string }[],
): void {
  const taken = new Map<string, string>();
  for (const input of inputs) taken.set(canonical(input.path), `input ${input.flag} (${input.path})`);
  for (const out of outputs) {
    if (out.path === undefined) continue;
    if (out.path === '') throw new InputError('(command line)', out.flag, 'an empty path; give a file name');
    const key = canonical(out.path);
    const clash = taken.get(key);
    if (clash !== undefined)
      throw new InputError(
        '(command line)',
        out.flag,
        `${out.path} is also ${clash}; writing it would destroy that file: choose another path`,
      );
    taken.set(key, `output ${out.flag} (${out.path})`);
    let stat: ReturnType<typeof statSync> | null;
    try {
      stat = statSync(out.path);
    } catch {
      stat = null;
    }
    if (out.directory === true) {
      if (stat !== null && !stat.isDirectory())
        throw new InputError('(command line)', out.flag, `${out.path} exists and is not a folder`);
      const existing = nearestExisting(out.path);
      if (!statSync(existing).isDirectory())
        throw new InputError(
          '(command line)',
          out.flag,
          `${existing} is a file, so ${out.path} cannot be created as a folder`,
        );
      try {
        accessSync(existing, constants.W_OK);
      } catch {
        throw new InputError(
          '(command line)',
          out.flag,
          `${existing} is not writable, so ${out.path} cannot be written`,
        );
      }
      continue;
    }
    if (stat?.isDirectory() === true)
      throw new InputError('(command line)', out.flag, `${out.path} is a folder; give a file name inside it`);
    const folder =
      out.createsFolder === true ? nearestExisting(dirname(resolve(out.path))) : dirname(resolve(out.path));
    let folderStat: ReturnType<typeof statSync>;
    try {
      folderStat = statSync(folder);
    } catch {
      throw new InputError(
        '(command line)',
        out.flag,
        `the folder ${folder} does not exist; create it first (nothing was measured)`,
      );
    }
    if (!folderStat.isDirectory()) throw new InputError('(command line)', out.flag, `${folder} is not a folder`);
    try {
      accessSync(folder, constants.W_OK);
      if (stat !== null) accessSync(out.path, constants.W_OK);
    } catch {
      throw new InputError(
        '(command line)',
        out.flag,
        `${stat === null ? `the folder ${folder}` : out.path} is not writable`,
      );
    }
    for (const stray of strayTempsOf(out.path)) rmSync(stray, { force: true });
  }
}
