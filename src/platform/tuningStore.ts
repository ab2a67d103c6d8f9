import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicFile.js';
import { InputError } from '../ci/gateConfig.js';
import { calibrationKey } from '../probe/calibration.js';
import { storedTuningSchema, type StoredTuning } from '../tuning/stored.js';

/** Tuned shapes live beside the device's calibration profile: same folder, same key. */
export function tuningPath(dir: string, key: string): string {
  return join(dir, `${key}.tuning.json`);
}

export async function saveTuning(dir: string, tuning: StoredTuning): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = tuningPath(dir, tuning.key);
  await writeFileAtomic(file, `${JSON.stringify(tuning, null, 2)}\n`);
  return file;
}

/**
 * The stored tuning for a key, or null. One made on another device (its key, or the key its
 * recorded device gives, is not `key`) is reported through `onIgnored` and not used; a corrupt
 * file is an InputError naming it.
 */
export function loadTuning(
  dir: string,
  key: string,
  onIgnored: (why: string) => void = () => undefined,
): { tuning: StoredTuning; file: string } | null {
  const file = tuningPath(dir, key);
  if (!existsSync(file)) return null;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(
      file,
      '',
      `not valid JSON (${e instanceof Error ? e.message : String(e)}); delete it or run \`wgbench tune\` again`,
    );
  }
  const parsed = storedTuningSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      file,
      issue?.path.map(String).join('.') ?? '',
      `not a wgbench tuning file: ${issue?.message ?? ''}; delete it or run \`wgbench tune\` again`,
    );
  }
  const tuning = parsed.data;
  const recorded = calibrationKey({ ...tuning.device });
  if (tuning.key !== key || recorded !== key) {
    onIgnored(
      `tuning ${file} is for another device (key "${tuning.key}", device "${recorded}"), not this adapter ` +
        `("${key}"): ignored; run \`wgbench tune\` here`,
    );
    return null;
  }
  return { tuning, file };
}
