import { KVCacheMetric, KV_TIERS, type KVCacheResult, type KVTier } from '../metrics/kvCache.js';

/** Capacity of each tier, in blocks. */
export type TierCapacities = Record<KVTier, number>;

/** Moves one block's bytes between tier slots and says how long it took (ns). */
export interface BlockMover {
  move: (key: string, from: KVTier, fromSlot: number, to: KVTier, toSlot: number) => Promise<number>;
  /** A block computed by prefill or decode lands in a device slot (its bytes are written). */
  produce: (key: string, tier: KVTier, slot: number) => Promise<void>;
}

/** Moves nothing: for replaying a trace's bookkeeping alone. */
export const countingMover: BlockMover = { move: () => Promise.resolve(0), produce: () => Promise.resolve() };

export interface KvRequest {
  id: string;
  /** Content keys of the prompt's full blocks, in order (equal keys are equal contents). */
  blocks: readonly string[];
  /** How many leading blocks are a shared prefix (a system prompt): one prefix lookup per request. */
  sharedPrefixBlocks: number;
  /** Keys of the blocks this request's decode appends. */
  generated: readonly string[];
}

export interface RequestOutcome {
  id: string;
  hitBlocks: number;
  missBlocks: number;
  migrations: number;
  migrationNs: number;
}

interface Location {
  tier: KVTier;
  slot: number;
}

const NEXT_TIER: Record<KVTier, KVTier | null> = { HBM: 'DDR', DDR: 'NVMe', NVMe: null };

/**
 * A KV cache over device memory (HBM), host memory (DDR) and disk (NVMe), each a fixed number of
 * block slots with its own LRU order. A lookup that finds a block in DDR or NVMe promotes it to
 * HBM; making room evicts the least recently used block one tier down, and off the end of NVMe.
 * Every move goes through the mover, so with a real mover the bytes really travel.
 */
export class TieredKVCache {
  readonly metric: KVCacheMetric;
  private readonly where = new Map<string, Location>();
  /** Per tier, keys in LRU order (oldest first): Map keeps insertion order. */
  private readonly lru: Record<KVTier, Map<string, true>> = { HBM: new Map(), DDR: new Map(), NVMe: new Map() };
  private readonly free: Record<KVTier, number[]>;
  private readonly pinned = new Set<string>();

  constructor(
    readonly capacities: TierCapacities,
    readonly blockTokens: number,
    readonly blockBytes: number,
    private readonly mover: BlockMover = countingMover,
  ) {
    for (const t of KV_TIERS) {
      if (!Number.isInteger(capacities[t]) || capacities[t] < 0)
        throw new Error(`capacity of ${t} must be a whole number of blocks, got ${capacities[t]}`);
    }
    if (capacities.HBM < 1) throw new Error('HBM needs at least one block');
    this.free = {
      HBM: [...Array(capacities.HBM).keys()].reverse(),
      DDR: [...Array(capacities.DDR).keys()].reverse(),
      NVMe: [...Array(capacities.NVMe).keys()].reverse(),
    };
    this.metric = new KVCacheMetric({ blockTokens });
    this.updateUsage();
  }

  /** Where a block is now, or null when it is not cached. */
  locate(key: string): Location | null {
    return this.where.get(key) ?? null;
  }

  async process(req: KvRequest): Promise<RequestOutcome> {
    if (req.blocks.length + req.generated.length > this.capacities.HBM) {
      throw new Error(
        `request ${req.id} needs ${req.blocks.length + req.generated.length} blocks in HBM at once, more ` +
          `than its ${this.capacities.HBM}`,
      );
    }
    const outcome: RequestOutcome = { id: req.id, hitBlocks: 0, missBlocks: 0, migrations: 0, migrationNs: 0 };
    let prefixHit = true;
    this.pinned.clear();
    for (const [i, key] of req.blocks.entries()) {
      const loc = this.where.get(key);
      if (loc === undefined) {
        this.metric.recordMiss(this.blockTokens);
        outcome.missBlocks++;
        if (i < req.sharedPrefixBlocks) prefixHit = false;
        const slot = await this.takeSlot('HBM', outcome);
        await this.mover.produce(key, 'HBM', slot);
        this.place(key, 'HBM', slot);
      } else {
        this.metric.recordHit(this.blockTokens, loc.tier);
        outcome.hitBlocks++;
        if (loc.tier !== 'HBM') await this.promote(key, loc, outcome);
        else this.touch(key, 'HBM');
      }
      this.pinned.add(key);
    }
    if (req.sharedPrefixBlocks > 0) this.metric.recordPrefixLookup(prefixHit);
    for (const key of req.generated) {
      const slot = await this.takeSlot('HBM', outcome);
      await this.mover.produce(key, 'HBM', slot);
      this.place(key, 'HBM', slot);
      this.pinned.add(key);
    }
    this.metric.recordReuse(
      outcome.hitBlocks * this.blockTokens,
      (req.blocks.length + req.generated.length) * this.blockTokens,
    );
    this.pinned.clear();
    this.updateUsage();
    return outcome;
  }

  result(): KVCacheResult {
    return this.metric.compute();
  }

  private async promote(key: string, from: Location, outcome: RequestOutcome): Promise<void> {
    // Pin it first, so making room in HBM cannot evict the block being promoted.
    this.pinned.add(key);
    const slot = await this.takeSlot('HBM', outcome);
    outcome.migrationNs += await this.mover.move(key, from.tier, from.slot, 'HBM', slot);
    outcome.migrations++;
    this.metric.recordMigration(this.blockBytes, from.tier, 'HBM');
    this.remove(key, from);
    this.place(key, 'HBM', slot);
  }

  /** A free slot in `tier`, evicting its least recently used unpinned block one tier down if needed. */
  private async takeSlot(tier: KVTier, outcome: RequestOutcome): Promise<number> {
    const free = this.free[tier].pop();
    if (free !== undefined) return free;
    const victim = [...this.lru[tier].keys()].find((k) => !this.pinned.has(k));
    if (victim === undefined) throw new Error(`every block in ${tier} is in use by the current request`);
    const loc = this.where.get(victim) as Location;
    const next = NEXT_TIER[tier];
    // Off the end of the hierarchy, or into a tier that cannot make room (full of blocks the current
    // request holds, such as the one being promoted out of it): the victim is evicted, not demoted.
    if (next === null || this.capacities[next] === 0 || !this.canMakeRoom(next)) {
      this.remove(victim, loc);
    } else {
      const slot = await this.takeSlot(next, outcome);
      outcome.migrationNs += await this.mover.move(victim, tier, loc.slot, next, slot);
      outcome.migrations++;
      this.metric.recordMigration(this.blockBytes, tier, next);
      this.remove(victim, loc);
      this.place(victim, next, slot);
    }
    const slot = this.free[tier].pop();
    if (slot === undefined) throw new Error(`no ${tier} slot after eviction`);
    return slot;
  }

  /** Whether `tier` has a free slot or a block the current request does not hold. */
  private canMakeRoom(tier: KVTier): boolean {
    return this.free[tier].length > 0 || [...this.lru[tier].keys()].some((k) => !this.pinned.has(k));
  }

  private place(key: string, tier: KVTier, slot: number): void {
    this.where.set(key, { tier, slot });
    this.lru[tier].set(key, true);
  }

  private remove(key: string, loc: Location): void {
    this.where.delete(key);
    this.lru[loc.tier].delete(key);
    this.free[loc.tier].push(loc.slot);
  }

  private touch(key: string, tier: KVTier): void {
    this.lru[tier].delete(key);
    this.lru[tier].set(key, true);
  }

  private updateUsage(): void {
    for (const t of KV_TIERS)
      this.metric.updateTierUsage(t, this.lru[t].size * this.blockBytes, this.capacities[t] * this.blockBytes);
  }
}
