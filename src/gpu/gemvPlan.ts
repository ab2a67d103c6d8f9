/** Constants of kernels/gemv.wgsl that its launch depends on. */
export const GEMV_MAX_ROWS = 8;
const GEMV_WORKGROUP = 256;
const GEMV_UNROLL = 4;
/** vec4 columns of W per workgroup (the kernel's COLS4 override) before tuning: 32 columns, 32 threads along K. */
export const GEMV_DEFAULT_COLUMNS4 = 8;
/** The COLS4 values the kernel takes: powers of two that leave at least 4 threads along K. */
export const GEMV_COLUMNS4 = [4, 8, 16, 32, 64] as const;

/** Why kernels/gemv.wgsl cannot take this many vec4 columns per workgroup; null when it can. */
export function gemvColumnsUnsupported(columns4: number): string | null {
  return (GEMV_COLUMNS4 as readonly number[]).includes(columns4)
    ? null
    : `the GEMV kernel takes ${GEMV_COLUMNS4.join(', ')} vec4 columns per workgroup (got ${columns4})`;
}

/**
 * Workgroups wanted in flight for a GEMV: enough resident threads that the device keeps many
 * weight loads outstanding. A data-centre GPU holds ~1,000 such workgroups at once; 512 keeps the
 * split-K partials small while filling most of them. Callers may pass another target (tuning).
 */
export const GEMV_TARGET_WORKGROUPS = 512;

/** A GEMV launch shape: the split-K workgroup target and vec4 columns of W per workgroup. */
export interface GemvDefaults {
  targetWorkgroups: number;
  columns4: number;
}

/**
 * The built-in GEMV launch for an adapter, before any tuning. A GPU keeps hundreds of workgroups in
 * flight, so K is split until ~512 run (GEMV_TARGET_WORKGROUPS) with 32 columns each. A CPU adapter
 * runs one workgroup per core thread: splitting K there only adds a reduce pass and 16 barriers per
 * workgroup, so it gets one split and the widest workgroup (256 columns). Measured on 2 cores: 3.4×
 * the GPU default on lavapipe, 8.4× on GL ES, 12× on SwiftShader (issue #25).
 */
export function defaultGemvShape(info: { adapterClass: 'gpu' | 'cpu' }): GemvDefaults {
  return info.adapterClass === 'cpu'
    ? { targetWorkgroups: 1, columns4: 64 }
    : { targetWorkgroups: GEMV_TARGET_WORKGROUPS, columns4: GEMV_DEFAULT_COLUMNS4 };
}

export interface GemvLaunch {
  /** Workgroups along N (x) and K splits (y). */
  groups: [number, number];
  splits: number;
  /** Bytes of the partial-sum buffer (0 with one split: sums go straight to the output). */
  partialBytes: number;
}

/** Why kernels/gemv.wgsl cannot take this shape; null when it can. */
export function gemvUnsupported(rows: number, K: number, N: number): string | null {
  if (rows < 1 || rows > GEMV_MAX_ROWS) return `the GEMV kernel takes 1 to ${GEMV_MAX_ROWS} rows (got ${rows})`;
  if (N % 4 !== 0) return `the GEMV kernel reads 4 columns at a time: N must be a multiple of 4 (got ${N})`;
  if (K < 1) return `K must be positive (got ${K})`;
  return null;
}

/**
 * Splits K across workgroups until about `target` workgroups run, keeping each split at least
 * one unrolled sweep of the workgroup's K threads long. `gated`: the gated MLP kernel (N is its
 * output width; its weights are twice as wide). `columns4`: the kernel's COLS4.
 */
export function planGemv(
  rows: number,
  K: number,
  N: number,
  target = GEMV_TARGET_WORKGROUPS,
  gated = false,
  columns4 = GEMV_DEFAULT_COLUMNS4,
): GemvLaunch {
  const reason = gemvUnsupported(rows, K, N) ?? gemvColumnsUnsupported(columns4);
  if (reason !== null) throw new Error(reason);
  const columnGroups = Math.ceil(N / (4 * columns4));
  const maxSplits = Math.max(1, Math.floor(K / ((GEMV_WORKGROUP / columns4) * GEMV_UNROLL)));
  const splits = Math.max(1, Math.min(maxSplits, Math.ceil(target / columnGroups)));
  // The gated kernel keeps two partial sums (gate and up) per output.
  return {
    groups: [columnGroups, splits],
    splits,
    partialBytes: splits > 1 ? splits * rows * N * 4 * (gated ? 2 : 1) : 0,
  };
}
