import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { BufferPool } from '../gpu/buffers.js';
import { listsMatrixShape, variableSubgroupSize } from '../gpu/subgroupMatrix.js';
import type { CaseResult } from '../results/schema.js';
import type { CasePlan, CaseWork, ParamValue, PreparedCase, Suite, SuiteContext } from './types.js';

/** One combination of a suite's parameter axes. */
export type ParamRow = Readonly<Record<string, ParamValue>>;

/**
 * What planning may look at: the adapter, whether the run is quick, this device's tuning, and
 * whether the platform gives file storage (the disk tier).
 */
export type PlanContext = Pick<SuiteContext, 'info' | 'quick' | 'tuned' | 'storage'>;

type Values<P, V> = readonly V[] | ((row: P, ctx: PlanContext) => readonly V[]);

/**
 * Typed parameter axes, combined and filtered in order (as gpuweb/cts's `params().combine().filter()`
 * and nvbench's axes): each `combine` multiplies the rows so far by an axis whose values may depend
 * on the row and the adapter; `filter` drops combinations no device can run, so they are never
 * planned (what only this adapter lacks is a requirement instead, and shows as a skip).
 */
export class ParamsBuilder<P extends ParamRow> {
  private constructor(private readonly expand: (ctx: PlanContext) => P[]) {}

  // The empty row is where combining starts: no axes yet, so its type is the empty object on purpose.
  // eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type
  static start(): ParamsBuilder<Record<never, never>> {
    return new ParamsBuilder(() => [{}]);
  }

  /** Adds one axis named `name`. */
  combine<K extends string, V extends ParamValue>(
    name: K,
    values: Values<P, V>,
  ): ParamsBuilder<P & Readonly<Record<K, V>>> {
    return new ParamsBuilder((ctx) =>
      this.expand(ctx).flatMap((row) =>
        (typeof values === 'function' ? values(row, ctx) : values).map(
          (v) => ({ ...row, [name]: v }) as P & Readonly<Record<K, V>>,
        ),
      ),
    );
  }

  /** Adds several axes that vary together (a shape's M, N and K), as whole rows. */
  expandWith<Q extends ParamRow>(rows: (row: P, ctx: PlanContext) => readonly Q[]): ParamsBuilder<P & Q> {
    return new ParamsBuilder((ctx) => this.expand(ctx).flatMap((row) => rows(row, ctx).map((q) => ({ ...row, ...q }))));
  }

  /** Keeps the combinations `keep` accepts: the rest can run on no device and are not planned. */
  filter(keep: (row: P) => boolean): ParamsBuilder<P> {
    return new ParamsBuilder((ctx) => this.expand(ctx).filter(keep));
  }

  /** Drops the combinations `drop` names (the opposite of filter). */
  unless(drop: (row: P) => boolean): ParamsBuilder<P> {
    return this.filter((row) => !drop(row));
  }

  /** The rows of this builder, then those of `other`: two families of cases in one suite (prefill, decode). */
  concat<Q extends ParamRow>(other: ParamsBuilder<Q>): ParamsBuilder<P | Q> {
    return new ParamsBuilder<P | Q>((ctx) => [...this.expand(ctx), ...other.rows(ctx)]);
  }

  rows(ctx: PlanContext): P[] {
    return this.expand(ctx);
  }
}

/** The start of a suite's axes. */
// eslint-disable-next-line @typescript-eslint/no-generated-empty-object-type
export const params = (): ParamsBuilder<Record<never, never>> => ParamsBuilder.start();

/**
 * What a case needs from the adapter. An unmet requirement skips the case on this adapter with a
 * reason generated from it, so every suite words the same lack the same way.
 */
export type Requirement =
  | { kind: 'feature'; feature: string }
  | { kind: 'limit'; limit: string; atLeast: number; for: string }
  | { kind: 'subgroup-matrix'; component: string; result: string; M: number; N: number; K: number }
  /** Any subgroup matrices at all (the probe that lists what the adapter has). */
  | { kind: 'subgroup-matrices' }
  | { kind: 'fixed-subgroup-size' }
  /** A rule of the case's own (an explicit option out of range): null when it holds, else the reason. */
  | { kind: 'rule'; unmet: (info: DeviceInfo) => string | null };

export const needsFeature = (feature: string): Requirement => ({ kind: 'feature', feature });
export const needsLimit = (limit: string, atLeast: number, forWhat: string): Requirement => ({
  kind: 'limit',
  limit,
  atLeast,
  for: forWhat,
});
export const needsSubgroupMatrices = (): Requirement => ({ kind: 'subgroup-matrices' });
export const needsSubgroupMatrix = (
  component: string,
  result: string,
  M: number,
  N: number,
  K: number,
): Requirement => ({
  kind: 'subgroup-matrix',
  component,
  result,
  M,
  N,
  K,
});
export const needsFixedSubgroupSize = (): Requirement => ({ kind: 'fixed-subgroup-size' });
export const needsRule = (unmet: (info: DeviceInfo) => string | null): Requirement => ({ kind: 'rule', unmet });

/** Why this adapter cannot run a case with these requirements (the first unmet one), or null. */
export function unmetRequirement(requirements: readonly Requirement[], info: DeviceInfo): string | null {
  for (const r of requirements) {
    const reason = unmet(r, info);
    if (reason !== null) return reason;
  }
  return null;
}

const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix';

/**
 * The one wording of a missing feature, for suites that test the device's features themselves.
 * Says whether the adapter lacks it or only the device was created without it.
 */
export function missingFeature(feature: string, info: Pick<DeviceInfo, 'adapterFeatures'>): string {
  if (feature === SUBGROUP_MATRIX_FEATURE && !info.adapterFeatures.includes(feature))
    return `needs subgroup matrices (${SUBGROUP_MATRIX_FEATURE}), which this adapter lacks`;
  return info.adapterFeatures.includes(feature)
    ? `needs ${feature}, which the adapter has but the device was created without`
    : `needs ${feature}, which this adapter lacks`;
}

function unmet(r: Requirement, info: DeviceInfo): string | null {
  switch (r.kind) {
    case 'feature':
      return info.deviceFeatures.includes(r.feature) ? null : missingFeature(r.feature, info);
    case 'subgroup-matrices':
      if (!info.deviceFeatures.includes(SUBGROUP_MATRIX_FEATURE)) return missingFeature(SUBGROUP_MATRIX_FEATURE, info);
      return info.subgroupMatrixConfigs.length === 0
        ? `needs subgroup matrices, and this adapter lists no subgroup-matrix config`
        : null;
    case 'limit': {
      const has = info.limits[r.limit];
      if (has !== undefined && has >= r.atLeast) return null;
      return `${r.for} needs ${r.limit} ≥ ${r.atLeast}; this device has ${has ?? 'none'}`;
    }
    case 'subgroup-matrix':
      if (!info.deviceFeatures.includes(SUBGROUP_MATRIX_FEATURE)) return missingFeature(SUBGROUP_MATRIX_FEATURE, info);
      if (listsMatrixShape(info, r.component, r.result, r)) return null;
      return (
        `needs a ${r.M}×${r.N}×${r.K} ${r.component}→${r.result} subgroup-matrix config, which this ` +
        `adapter does not list`
      );
    case 'fixed-subgroup-size':
      return variableSubgroupSize(info);
    case 'rule':
      return r.unmet(info);
  }
}

/**
 * The device limits a launch rule reads, from the adapter facts (planning needs no device): the
 * facts hold every limit the device reported, by name.
 */
export const limitsOf = (info: PlanContext['info']): GPUSupportedLimits => info.limits as unknown as GPUSupportedLimits;

/** Where a tunable setting's value came from, recorded with each case. */
export type SettingSource = 'tuned' | 'explicit' | 'default';

/**
 * The one rule for a tunable setting: a stored tuning for this device wins, then a value the
 * caller gave, then the built-in default. Every suite resolves its launch shape through this.
 */
export function resolveSetting<T>(
  tuned: T | undefined,
  explicit: T | undefined,
  fallback: () => T,
): { value: T; source: SettingSource } {
  if (tuned !== undefined) return { value: tuned, source: 'tuned' };
  if (explicit !== undefined) return { value: explicit, source: 'explicit' };
  return { value: fallback(), source: 'default' };
}

/**
 * A launch parameter `wgbench tune` may choose for a suite: the values its search walks and what
 * limits them. The limits themselves are the suite's requirements, so the tuner rules a candidate
 * out with the same reason a run would skip it (tuning/families.ts declaredUnsupported).
 */
export interface TunableParameter {
  name: string;
  values: readonly (number | boolean)[];
  limitedBy: string;
}

/** How a case is timed: GPU passes of `encode`, a host-timed operation, or a case that times itself. */
export type TimingMode = 'gpu-pass' | 'host-operation' | 'self-timed';

/** The work one dispatch does, as docs/metrics.md counts it. */
export interface DeclaredWork {
  bytesPerDispatch: number;
  bytesCounted: CasePlan['bytesCounted'];
  /** FLOPs (or integer ops) and the unit whose peak they are divided by; absent for pure data movement. */
  compute?: CaseWork;
}

/**
 * A suite, declared: its axes, what each case needs, its identity (`id` on this device, `key` the
 * same on every device), its work and peak unit, and how it is set up. `defineSuite` turns it into
 * the runner's `Suite`, generating skip reasons from the requirements.
 */
export interface SuiteDeclaration<P extends ParamRow> {
  name: string;
  description: string;
  selectedByDefault?: boolean;
  /** Where the suite's kernels come from when they are not in kernels/ (Suite.loadKernel). */
  loadKernel?: (name: string) => Promise<string>;
  params: ParamsBuilder<P>;
  /** What the case needs from the adapter; unmet, the case is skipped here with the reason. */
  requires?: (row: P, ctx: PlanContext) => readonly Requirement[];
  id: (row: P, ctx: PlanContext) => string;
  key: (row: P, ctx: PlanContext) => string;
  /** The case's name in tables. */
  title: (row: P, ctx: PlanContext) => string;
  /** The parameters recorded with the result (the row itself unless the suite adds derived ones). */
  record?: (row: P, ctx: PlanContext) => Record<string, ParamValue>;
  work: (row: P, ctx: PlanContext) => DeclaredWork;
  timing: TimingMode;
  /** The launch parameters `wgbench tune` searches for this suite, where it has any. */
  tunables?: readonly TunableParameter[];
  prepare: (row: P, ctx: SuiteContext, pool: BufferPool) => Promise<PreparedCase>;
  finalize?: (cases: CaseResult[]) => void;
}

/** A suite made by defineSuite, which keeps its declaration for the tuner and tests to read. */
export type DeclaredSuite<P extends ParamRow = ParamRow> = Suite & { declaration: SuiteDeclaration<P> };

export function defineSuite<P extends ParamRow>(d: SuiteDeclaration<P>): DeclaredSuite<P> {
  return {
    name: d.name,
    description: d.description,
    declaration: d,
    plan(ctx) {
      return d.params.rows(ctx).map((row) => {
        const work = d.work(row, ctx);
        const plan: CasePlan = {
          id: d.id(row, ctx),
          key: d.key(row, ctx),
          name: d.title(row, ctx),
          params: d.record?.(row, ctx) ?? { ...row },
          bytesPerDispatch: work.bytesPerDispatch,
          bytesCounted: work.bytesCounted,
          ...(work.compute === undefined ? {} : { work: work.compute }),
          prepare: (c, pool) => d.prepare(row, c, pool),
        };
        const reason = unmetRequirement(d.requires?.(row, ctx) ?? [], ctx.info);
        if (reason !== null) plan.skipReason = reason;
        return plan;
      });
    },
    ...(d.finalize === undefined ? {} : { finalize: d.finalize }),
    ...(d.selectedByDefault === undefined ? {} : { selectedByDefault: d.selectedByDefault }),
    ...(d.loadKernel === undefined ? {} : { loadKernel: d.loadKernel }),
  };
}
