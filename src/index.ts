// The wgbench library API, for a browser page as for Node: it loads no Node module, Dawn, SQLite
// or PostgreSQL (a Vite build of a page importing it proves that, test/browser/bundle.test.ts).
// Shared modules take their GPUDevice from the caller. Dawn, the file stores and the terminal
// reporter are in `wgbench/node`; the history databases and the lab server in `wgbench/lab`.
export * from './metrics/errors.js';
export * from './metrics/types.js';
export * from './metrics/summary.js';
export * from './metrics/throughput.js';
export * from './metrics/latency.js';
export * from './metrics/memory.js';
export * from './metrics/kvCache.js';
export * from './metrics/flops.js';
export * from './metrics/mfu.js';
export * from './metrics/roofline.js';
export * from './metrics/registry.js';
export * from './ci/gates.js';
export * from './gpu/provider.js';
export * from './gpu/adapterInfo.js';
export * from './gpu/acquire.js';
export * from './gpu/timer.js';
export * from './gpu/errorScope.js';
export * from './gpu/buffers.js';
export * from './gpu/pipelines.js';
export * from './results/schema.js';
export * from './suites/types.js';
export * from './suites/index.js';
export {
  memcopySuite,
  createMemcopySuite,
  elementsPerThread,
  type MemcopyKernel,
  type MemcopyOptions,
  planSizes,
  maxBindableBytes,
  writePattern,
  DRAM_WORKING_SET_BYTES,
} from './suites/memcopy.js';
export * from './runner/run.js';
export * from './reporters/json.js';
export * from './reporters/format.js';
export {
  createKvTierSuite,
  kvTierSuite,
  KV_PATHS,
  planKvSizes,
  type KvPath,
  type KvTierOptions,
} from './suites/kvtier.js';
export * from './kv/tieredCache.js';
export * from './kv/trace.js';
export * from './models/presets.js';
export {
  createMatmulSuite,
  matmulSuite,
  MATMUL_VARIANTS,
  type MatmulVariant,
  type MatmulShape,
} from './suites/matmul.js';
export { peakSuite } from './suites/peak.js';
export * from './probe/peaks.js';
export * from './probe/datasheet.js';
export * from './probe/calibration.js';
export * from './probe/profile.js';
export * from './metrics/utilization.js';
export * from './metrics/significance.js';
export * from './ci/compare.js';
export * from './ci/gateConfig.js';
export * from './ci/evaluate.js';
export * from './reporters/html.js';
export * from './reporters/markdown.js';
export * from './reporters/junit.js';
export * from './reporters/trace.js';
export * from './reporters/githubBenchmark.js';
export * from './results/jsonSchema.js';
export * from './results/caseKey.js';
