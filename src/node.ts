// `wgbench/node`: everything in `wgbench`, plus what only Node has — Dawn's adapter (the Node
// platform), scratch files, the calibration and tuning files, and the terminal table.
export * from './index.js';
export * from './platform/node.js';
export * from './platform/scratchStorage.js';
export * from './platform/calibrationStore.js';
export * from './platform/tuningStore.js';
export * from './platform/atomicFile.js';
export * from './reporters/console.js';
