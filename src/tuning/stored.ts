import { z } from 'zod';
import type { MemcopyKernel } from '../suites/memcopy.js';
import type { TunedShapes } from '../suites/tunedShapes.js';
import {
  flashTileFromConfig,
  gemvFromConfig,
  sgmatStagedFromConfig,
  stagedFromConfig,
  tileFromConfig,
  TUNABLE_FAMILIES,
  type FamilyName,
} from './families.js';
import type { TuneOutcome } from './search.js';

export type { TunedShapes };

export const TUNING_SCHEMA_VERSION = 1;

const entrySchema = z.object({
  family: z.enum([
    'memcopy',
    'matmul-tiled',
    'gemv',
    'matmul-subgroup-matrix',
    'attention',
    'attention-subgroup-matrix',
  ]),
  shapeClass: z.string(),
  description: z.string(),
  kernelHash: z.string(),
  source: z.enum(['tuned', 'default']),
  config: z.record(z.string(), z.union([z.number(), z.boolean()])),
  label: z.string(),
  defaultLabel: z.string(),
  medianNs: z.number().nullable(),
  defaultMedianNs: z.number().nullable(),
  speedup: z.number().nullable(),
  tunedAt: z.string(),
  toolVersion: z.string(),
});

export const storedTuningSchema = z.object({
  kind: z.literal('wgbench-tuning'),
  schemaVersion: z.literal(TUNING_SCHEMA_VERSION),
  key: z.string(),
  device: z.object({
    vendor: z.string(),
    architecture: z.string(),
    device: z.string(),
    description: z.string(),
    backend: z.string(),
  }),
  entries: z.array(entrySchema),
});

export type StoredTuning = z.infer<typeof storedTuningSchema>;
export type StoredTuningEntry = z.infer<typeof entrySchema>;

export function entryFromOutcome(o: TuneOutcome, tunedAt: string, toolVersion: string): StoredTuningEntry {
  return {
    family: o.family,
    shapeClass: o.shapeClass,
    description: o.description,
    kernelHash: o.kernelHash,
    source: o.source,
    config: { ...o.bestConfig },
    label: o.bestLabel,
    defaultLabel: o.defaultLabel,
    medianNs: o.bestMedianNs,
    defaultMedianNs: o.defaultMedianNs,
    speedup: o.speedup,
    tunedAt,
    toolVersion,
  };
}

/**
 * The entries a tune leaves: one per problem whose default was measured. A problem the budget cut
 * (or whose default could not run) learned nothing, so an earlier tuning of it is kept, not overwritten.
 */
export function entriesToStore(
  outcomes: readonly TuneOutcome[],
  tunedAt: string,
  toolVersion: string,
): StoredTuningEntry[] {
  return outcomes.filter((o) => o.defaultMedianNs !== null).map((o) => entryFromOutcome(o, tunedAt, toolVersion));
}

/** "tuned 5 problems" and, when the budget cut some, which. */
export function tunedSummary(outcomes: readonly TuneOutcome[]): string {
  const done = outcomes.filter((o) => o.defaultMedianNs !== null).length;
  const cut = outcomes.filter((o) => o.candidates.some((c) => c.label === o.defaultLabel && c.status === 'cut'));
  const list =
    cut.length === 0
      ? ''
      : ` (${String(cut.length)} more cut by the budget before their default was measured: ` +
        `${cut.map((o) => `${o.family} ${o.shapeClass}`).join(', ')}; raise the budget)`;
  return `tuned ${String(done)} problem${done === 1 ? '' : 's'}${list}`;
}

/** What a stored tuning says of itself: its format, the device key and the device it was made on. */
export function tuningHeader(key: string, d: StoredTuning['device']): Omit<StoredTuning, 'entries'> {
  return {
    kind: 'wgbench-tuning',
    schemaVersion: TUNING_SCHEMA_VERSION,
    key,
    device: {
      vendor: d.vendor,
      architecture: d.architecture,
      device: d.device,
      description: d.description,
      backend: d.backend,
    },
  };
}

/** A stored tuning with `entries` replacing those of the same family and shape class. */
export function mergeTuning(
  previous: StoredTuning | null,
  base: Omit<StoredTuning, 'entries'>,
  entries: readonly StoredTuningEntry[],
): StoredTuning {
  const same = (a: StoredTuningEntry, b: StoredTuningEntry): boolean =>
    a.family === b.family && a.shapeClass === b.shapeClass;
  const kept = (previous?.entries ?? []).filter((p) => !entries.some((e) => same(e, p)));
  return { ...base, entries: [...kept, ...entries] };
}

/**
 * The entries a run may use: only those made for the kernel source it has now. A stale one is
 * reported through `onIgnored`, never used.
 */
export function currentEntries(
  stored: StoredTuning,
  kernelHashes: Readonly<Partial<Record<FamilyName, string>>>,
  file: string,
  onIgnored: (why: string) => void,
): StoredTuningEntry[] {
  return stored.entries.filter((e) => {
    const impossible = impossibleShape(e);
    if (impossible !== null) {
      onIgnored(`tuning of ${e.family} ${e.shapeClass} in ${file} ${impossible}: ignored; run \`wgbench tune\` again`);
      return false;
    }
    const now = kernelHashes[e.family];
    if (now === undefined || now === e.kernelHash) return true;
    onIgnored(
      `tuning of ${e.family} ${e.shapeClass} in ${file} was made for another version of its kernel source ` +
        `(${e.kernelHash}, now ${now}): ignored; run \`wgbench tune\` again`,
    );
    return false;
  });
}

/**
 * Why a stored shape is none the tuner could have chosen (an unknown parameter, a value outside the
 * family's list, a missing one), or null. Such a file was edited or damaged, and a kernel built from
 * it could compile into something other than what was checked.
 */
export function impossibleShape(e: StoredTuningEntry): string | null {
  const family = TUNABLE_FAMILIES.find((f) => f.name === e.family);
  if (family === undefined) return `names an unknown family`;
  const names = new Set(family.parameters.map((p) => p.name));
  for (const key of Object.keys(e.config))
    if (!names.has(key)) return `has a parameter ${key} that ${e.family} does not take`;
  for (const p of family.parameters) {
    const v = e.config[p.name];
    if (v === undefined) {
      if (family.name === 'gemv' && p.name === 'columns4') continue; // older tunings: the fixed default
      return `lacks ${p.name}`;
    }
    if (!p.values.includes(v)) return `has ${p.name} = ${String(v)}, not one of ${p.values.map(String).join(', ')}`;
  }
  return null;
}

export function tunedShapes(entries: readonly StoredTuningEntry[]): TunedShapes {
  const out: TunedShapes = { memcopy: {}, tiles: {}, gemv: {}, staged: {}, flashTiles: {}, sgmatStaged: {} };
  for (const e of entries) {
    if (e.source !== 'tuned') continue;
    if (e.family === 'memcopy')
      out.memcopy[e.shapeClass as MemcopyKernel] = {
        workgroupSize: Number(e.config['workgroupSize']),
        elementsPerThread: Number(e.config['elementsPerThread']),
      };
    else if (e.family === 'matmul-tiled') out.tiles[e.shapeClass] = tileFromConfig(e.config);
    else if (e.family === 'matmul-subgroup-matrix')
      out.staged[e.shapeClass] = stagedFromConfig(e.config, e.shapeClass.startsWith('int8') ? 'int8' : 'f16');
    else if (e.family === 'attention') out.flashTiles[e.shapeClass] = flashTileFromConfig(e.config);
    else if (e.family === 'attention-subgroup-matrix') out.sgmatStaged[e.shapeClass] = sgmatStagedFromConfig(e.config);
    else out.gemv[e.shapeClass] = gemvFromConfig(e.config);
  }
  return out;
}

/** A stored tuning in one line: how many problems run on a tuned shape, and when they were tuned. */
export function describeTuning(stored: StoredTuning | null): string {
  if (stored === null || stored.entries.length === 0) return 'not tuned';
  const tuned = stored.entries.filter((e) => e.source === 'tuned');
  const when =
    stored.entries
      .map((e) => e.tunedAt)
      .sort()
      .at(-1) ?? '';
  const list = tuned
    .map((e) => `${e.family} ${e.shapeClass}: ${e.label}${e.speedup === null ? '' : ` ${e.speedup.toFixed(2)}×`}`)
    .join('; ');
  return (
    `${String(tuned.length)} of ${String(stored.entries.length)} problems on tuned shapes (tuned ` +
    `${when.slice(0, 10)})${list === '' ? '' : `: ${list}`}`
  );
}
