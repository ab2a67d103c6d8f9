// `wgbench/lab`: the results history (SQLite or PostgreSQL) and the lab server that shares it.
// Node only; `wgbench` itself stays loadable in a browser.
export * from './history/open.js';
export * from './history/store.js';
export { MIGRATIONS, SCHEMA_VERSION, NewerSchemaError } from './history/migrations.js';
export { buildServer, closeWithin, SERVER_LIMITS, type ServerOptions, type ServerLimits } from './server/app.js';
export { uploadRun, type UploadAnswer } from './server/client.js';
export { MIN_TOKEN_LENGTH, readToken } from './server/auth.js';
