import { MetricError, requireNonNegative, requireNonNegativeInteger } from './errors.js';
import { BaseMetric, MetricType } from './types.js';

export const KV_TIERS = ['HBM', 'DDR', 'NVMe'] as const;
export type KVTier = (typeof KV_TIERS)[number];

export interface KVTierUsage {
  usedBytes: number;
  /** null until a capacity is set for the tier. */
  capacityBytes: number | null;
  hitTokens: number;
}

export interface KVMigration {
  from: KVTier;
  to: KVTier;
  count: number;
  bytes: number;
}

export interface KVCacheResult {
  /** Hit tokens ÷ looked-up tokens; null when nothing was looked up. */
  hitRate: number | null;
  /** Over prefix lookups only; null when there were none. */
  prefixHitRate: number | null;
  hitTokens: number;
  lookupTokens: number;
  prefixLookups: number;
  tiers: Record<KVTier, KVTierUsage>;
  hbmUsedGB: number;
  ddrUsedGB: number;
  nvmeUsedGB: number;
  totalUsedGB: number;
  migrationCount: number;
  migrationBytes: number;
  migrations: KVMigration[];
  reusedTokens: number;
  totalTokens: number;
  /** Reused ÷ total tokens; null when no tokens were recorded. */
  reuseRatio: number | null;
  /** Tokens per block: a prefix shorter than one block can never hit. */
  blockTokens: number | null;
}

const GB = 1e9;

/** Hit rates, per-tier usage, migrations and reuse of a KV cache over one run. */
export class KVCacheMetric extends BaseMetric<KVCacheResult> {
  readonly name = 'kv_cache';
  readonly unit = '';
  readonly metricType = MetricType.KV_CACHE;

  private hitTokens = 0;
  private missTokens = 0;
  private prefixHits = 0;
  private prefixLookups = 0;
  private reusedTokens = 0;
  private totalTokens = 0;
  private blockTokens: number | null = null;
  private readonly tiers = new Map<KVTier, KVTierUsage>();
  private readonly migrations = new Map<string, KVMigration>();

  constructor(options: { blockTokens?: number } = {}) {
    super();
    if (options.blockTokens !== undefined) this.setBlockTokens(options.blockTokens);
  }

  setBlockTokens(tokens: number): void {
    requireNonNegativeInteger('blockTokens', tokens);
    if (tokens === 0) throw new MetricError('INVALID_ARGUMENT', 'blockTokens must be >= 1');
    this.blockTokens = tokens;
  }

  /** A lookup that found `tokens` tokens in `tier` (counted once per token looked up). */
  recordHit(tokens = 1, tier: KVTier = 'HBM'): void {
    requireNonNegativeInteger('tokens', tokens);
    this.hitTokens += tokens;
    this.tier(tier).hitTokens += tokens;
  }

  recordMiss(tokens = 1): void {
    this.missTokens += requireNonNegativeInteger('tokens', tokens);
  }

  recordPrefixLookup(hit: boolean): void {
    this.prefixLookups += 1;
    if (hit) this.prefixHits += 1;
  }

  recordMigration(bytes: number, from: KVTier = 'HBM', to: KVTier = 'DDR'): void {
    requireNonNegativeInteger('bytes', bytes);
    if (from === to) throw new MetricError('INVALID_ARGUMENT', `a migration needs two tiers, got ${from} → ${to}`);
    const key = `${from}->${to}`;
    const m = this.migrations.get(key) ?? { from, to, count: 0, bytes: 0 };
    m.count += 1;
    m.bytes += bytes;
    this.migrations.set(key, m);
  }

  recordReuse(reused: number, total: number): void {
    requireNonNegativeInteger('reused', reused);
    requireNonNegativeInteger('total', total);
    if (reused > total) throw new MetricError('INVALID_ARGUMENT', `reused (${reused}) exceeds total (${total})`);
    this.reusedTokens += reused;
    this.totalTokens += total;
  }

  updateTierUsage(tier: KVTier, usedBytes: number, capacityBytes?: number): void {
    const t = this.tier(tier);
    t.usedBytes = requireNonNegative('usedBytes', usedBytes);
    if (capacityBytes !== undefined) t.capacityBytes = requireNonNegative('capacityBytes', capacityBytes);
  }

  compute(): KVCacheResult {
    const lookupTokens = this.hitTokens + this.missTokens;
    const tiers = Object.fromEntries(KV_TIERS.map((t) => [t, { ...this.tier(t) }])) as Record<KVTier, KVTierUsage>;
    const migrations = [...this.migrations.values()].map((m) => ({ ...m }));
    const used = (t: KVTier): number => tiers[t].usedBytes / GB;
    return {
      hitRate: lookupTokens > 0 ? this.hitTokens / lookupTokens : null,
      prefixHitRate: this.prefixLookups > 0 ? this.prefixHits / this.prefixLookups : null,
      hitTokens: this.hitTokens,
      lookupTokens,
      prefixLookups: this.prefixLookups,
      tiers,
      hbmUsedGB: used('HBM'),
      ddrUsedGB: used('DDR'),
      nvmeUsedGB: used('NVMe'),
      totalUsedGB: used('HBM') + used('DDR') + used('NVMe'),
      migrationCount: migrations.reduce((s, m) => s + m.count, 0),
      migrationBytes: migrations.reduce((s, m) => s + m.bytes, 0),
      migrations,
      reusedTokens: this.reusedTokens,
      totalTokens: this.totalTokens,
      reuseRatio: this.totalTokens > 0 ? this.reusedTokens / this.totalTokens : null,
      blockTokens: this.blockTokens,
    };
  }

  private tier(tier: KVTier): KVTierUsage {
    let t = this.tiers.get(tier);
    if (t === undefined) {
      t = { usedBytes: 0, capacityBytes: null, hitTokens: 0 };
      this.tiers.set(tier, t);
    }
    return t;
  }
}
