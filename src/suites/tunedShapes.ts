import type { FlashTile, SgmatStagedShape } from './attention.js';
import type { GemvShape, MatmulTile, StagedShape } from './matmul.js';
import type { MemcopyKernel, MemcopyLaunch } from './memcopy.js';

/**
 * This device's launch shapes found by `wgbench tune`, as the suites read them from their context:
 * memcopy launches per kernel, tiles and GEMV launches per matmul shape, attention blocks per head dim.
 * A suite looks its case up here first (resolveSetting: tuned, else explicit, else default).
 */
export interface TunedShapes {
  memcopy: Partial<Record<MemcopyKernel, MemcopyLaunch>>;
  tiles: Record<string, MatmulTile>;
  /** GEMV launches (workgroup target and vec4 columns per workgroup) by shape key. */
  gemv: Record<string, GemvShape>;
  /** Staged subgroup-matrix shapes by stagedKey (input and problem). */
  staged: Record<string, StagedShape>;
  /** Flash-tiled attention blocks by flashTileKey (head dim). */
  flashTiles: Record<string, FlashTile>;
  /** The staged subgroup-matrix flash kernel's shapes, by flashTileKey (head dim). */
  sgmatStaged: Record<string, SgmatStagedShape>;
}
