import { describe, expect, it } from 'vitest';
import { TieredKVCache, type BlockMover } from '../../src/kv/tieredCache.js';
import { conversationTrace } from '../../src/kv/trace.js';
import type { KVTier } from '../../src/metrics/kvCache.js';

/** Records every move, so the test can check the path each block took. */
function recordingMover(): BlockMover & { moves: string[] } {
  const moves: string[] = [];
  return {
    moves,
    move: (key: string, from: KVTier, _fs: number, to: KVTier) => {
      moves.push(`${key} ${from}->${to}`);
      return Promise.resolve(1000);
    },
    produce: () => Promise.resolve(),
  };
}

describe('TieredKVCache replaying a small trace by hand', () => {
  it('gives the hit rate, prefix hit rate, reuse and migration bytes worked out on paper', async () => {
    const mover = recordingMover();
    // HBM 4 blocks, DDR 2, NVMe 1; 16 tokens and 100 bytes per block.
    const cache = new TieredKVCache({ HBM: 4, DDR: 2, NVMe: 1 }, 16, 100, mover);
    const outcomes = [];
    outcomes.push(await cache.process({ id: 'r1', blocks: ['s0', 's1'], sharedPrefixBlocks: 2, generated: ['g1'] }));
    outcomes.push(
      await cache.process({ id: 'r2', blocks: ['s0', 's1', 'x0'], sharedPrefixBlocks: 2, generated: ['g2'] }),
    );
    outcomes.push(await cache.process({ id: 'r3', blocks: ['s0', 'y0'], sharedPrefixBlocks: 1, generated: ['g3'] }));
    outcomes.push(
      await cache.process({ id: 'r4', blocks: ['s0', 's1', 'x0', 'g1'], sharedPrefixBlocks: 2, generated: [] }),
    );

    expect(mover.moves).toEqual([
      'g1 HBM->DDR', // r2: g2 needs room; g1 is the least recently used
      's1 HBM->DDR', // r3: y0 needs room
      'g1 DDR->NVMe', // r3: g3 needs room, x0 goes down, DDR is full so g1 goes to disk
      'x0 HBM->DDR',
      'x0 DDR->NVMe', // r4: promoting s1 needs room: g2 down, DDR full, x0 to disk, g1 dropped
      'g2 HBM->DDR',
      's1 DDR->HBM',
      'y0 HBM->DDR', // r4: promoting x0 from disk
      'x0 NVMe->HBM',
      'g2 DDR->NVMe', // r4: g1 was dropped, recomputed; g3 goes down, g2 to disk
      'g3 HBM->DDR',
    ]);
    expect(outcomes.map((o) => [o.hitBlocks, o.missBlocks, o.migrations])).toEqual([
      [0, 2, 0],
      [2, 1, 1],
      [1, 1, 3],
      [3, 1, 7],
    ]);
    expect(outcomes[3]?.migrationNs).toBe(7000);

    const r = cache.result();
    expect(r.lookupTokens).toBe(11 * 16);
    expect(r.hitTokens).toBe(6 * 16);
    expect(r.hitRate).toBeCloseTo(6 / 11, 12);
    expect(r.prefixLookups).toBe(4);
    expect(r.prefixHitRate).toBe(0.75);
    expect(r.reusedTokens).toBe(96);
    expect(r.totalTokens).toBe(14 * 16);
    expect(r.reuseRatio).toBeCloseTo(96 / 224, 12);
    expect(r.migrationCount).toBe(11);
    expect(r.migrationBytes).toBe(1100);
    const bytes = Object.fromEntries(r.migrations.map((m) => [`${m.from}->${m.to}`, m.bytes]));
    expect(bytes).toEqual({ 'HBM->DDR': 600, 'DDR->NVMe': 300, 'DDR->HBM': 100, 'NVMe->HBM': 100 });
    expect(r.tiers.HBM).toEqual({ usedBytes: 400, capacityBytes: 400, hitTokens: 64 });
    expect(r.tiers.DDR).toEqual({ usedBytes: 200, capacityBytes: 200, hitTokens: 16 });
    expect(r.tiers.NVMe).toEqual({ usedBytes: 100, capacityBytes: 100, hitTokens: 16 });
    expect(r.blockTokens).toBe(16);
    expect(cache.locate('g1')).toEqual({ tier: 'HBM', slot: expect.any(Number) as number });
    expect(cache.locate('g2')?.tier).toBe('NVMe');
  });

  it('refuses a request that cannot fit in HBM at once, and capacities that make no sense', async () => {
    const cache = new TieredKVCache({ HBM: 2, DDR: 0, NVMe: 0 }, 16, 100);
    await expect(
      cache.process({ id: 'big', blocks: ['a', 'b'], sharedPrefixBlocks: 0, generated: ['c'] }),
    ).rejects.toThrow(/needs 3 blocks in HBM at once, more than its 2/);
    expect(() => new TieredKVCache({ HBM: 0, DDR: 1, NVMe: 1 }, 16, 100)).toThrow(/at least one block/);
    expect(() => new TieredKVCache({ HBM: 1, DDR: 1.5, NVMe: 1 }, 16, 100)).toThrow(/whole number/);
  });

  it('without lower tiers, evicted blocks are dropped and come back as misses', async () => {
    const cache = new TieredKVCache({ HBM: 2, DDR: 0, NVMe: 0 }, 16, 100);
    await cache.process({ id: '1', blocks: ['a'], sharedPrefixBlocks: 1, generated: ['b'] });
    await cache.process({ id: '2', blocks: ['c'], sharedPrefixBlocks: 0, generated: ['d'] });
    await cache.process({ id: '3', blocks: ['a'], sharedPrefixBlocks: 1, generated: [] });
    const r = cache.result();
    expect(r.hitTokens).toBe(0);
    expect(r.migrationCount).toBe(0);
    expect(r.prefixHitRate).toBe(0);
  });

  it('promotes a block out of a full NVMe tier: the block it displaces is evicted, not a throw', async () => {
    const cache = new TieredKVCache({ HBM: 1, DDR: 1, NVMe: 1 }, 16, 100);
    for (const key of ['a', 'b', 'c'])
      await cache.process({ id: key, blocks: [key], sharedPrefixBlocks: 0, generated: [] });
    expect([cache.locate('c')?.tier, cache.locate('b')?.tier, cache.locate('a')?.tier]).toEqual(['HBM', 'DDR', 'NVMe']);
    // a comes back: HBM's c must go down to DDR, whose b cannot go to NVMe (its one slot is a's, held).
    const outcome = await cache.process({ id: 'again', blocks: ['a'], sharedPrefixBlocks: 0, generated: [] });
    expect(outcome.hitBlocks).toBe(1);
    expect([cache.locate('a')?.tier, cache.locate('c')?.tier, cache.locate('b')]).toEqual(['HBM', 'DDR', null]);
    expect(cache.result().migrationCount).toBe(outcome.migrations + 3);
  });
});

describe('conversation trace', () => {
  it('resends the system prompt and the history each turn, interleaving conversations', () => {
    const t = conversationTrace({
      conversations: 2,
      turns: 2,
      systemPromptBlocks: 2,
      userBlocksPerTurn: 1,
      generatedBlocksPerTurn: 1,
      interleave: 2,
    });
    expect(t.map((r) => r.id)).toEqual(['c0:t0', 'c1:t0', 'c0:t1', 'c1:t1']);
    expect(t[2]?.blocks).toEqual(['sys:0', 'sys:1', 'c0:t0:u0', 'c0:t0:g0', 'c0:t1:u0']);
    expect(t[2]?.sharedPrefixBlocks).toBe(2);
    expect(t[3]?.generated).toEqual(['c1:t1:g0']);
  });
});
