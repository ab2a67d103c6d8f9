// Upload load on `wgbench serve`: N distinct results files posted by C concurrent clients, against
// the SQLite default and a throwaway PostgreSQL (test/helpers/postgres.mjs), on this machine.
// Prints uploads per second and latency percentiles per database, as BENCHMARKS.md records them.
//   npm run build && node bench/serve-load.mjs [uploads=2000] [clients=10] [rounds=3]
// Client and server share this process (and its cores): the figure is the whole loop, not the server alone.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openHistory } from '../dist/history/open.js';
import { buildServer } from '../dist/server/app.js';
import { freshDatabase, startThrowawayPostgres } from '../test/helpers/postgres.mjs';

const uploads = Number(process.argv[2] ?? 2000);
const clients = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 3);
const TOKEN = 'load-token-0123456789abcdef';
const base = JSON.parse(readFileSync(new URL('../test/fixtures/lavapipe-memcopy-peak.json', import.meta.url), 'utf8'));
const bodies = Array.from({ length: uploads }, (_, i) =>
  JSON.stringify({ ...base, startedAt: new Date(Date.parse(base.startedAt) + i * 1000).toISOString() }),
);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function load(db, label) {
  const history = await openHistory(db);
  const app = await buildServer({
    history,
    uploadToken: TOKEN,
    readToken: null,
    pageDir: null,
    bodyLimitBytes: 32 << 20,
    rateLimitPerMinute: 1e6,
    chartJsSource: '',
    version: 'bench',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${app.server.address().port}/api/runs`;
  const latencies = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < uploads) {
        const body = bodies[next++];
        const s = performance.now();
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body,
        });
        await r.arrayBuffer();
        if (r.status !== 201) throw new Error(`${label}: HTTP ${r.status}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const { runs } = await history.counts();
  await app.close();
  await history.close();
  if (runs !== uploads) throw new Error(`${label}: ${runs} runs stored of ${uploads}`);
  latencies.sort((a, b) => a - b);
  return {
    database: label,
    uploads,
    clients,
    bodyBytes: bodies[0].length,
    seconds: +wall.toFixed(2),
    uploadsPerSecond: +(uploads / wall).toFixed(0),
    p50Ms: +pct(latencies, 50).toFixed(2),
    p99Ms: +pct(latencies, 99).toFixed(2),
    maxMs: +latencies.at(-1).toFixed(2),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function summarise(label, rs) {
  const rates = rs.map((r) => r.uploadsPerSecond);
  const p99s = rs.map((r) => r.p99Ms);
  return {
    database: label,
    uploads,
    clients,
    rounds,
    bodyBytes: rs[0].bodyBytes,
    medianUploadsPerSecond: median(rates),
    rangeUploadsPerSecond: `${Math.min(...rates)}–${Math.max(...rates)}`,
    medianP50Ms: median(rs.map((r) => r.p50Ms)),
    medianP99Ms: median(p99s),
    rangeP99Ms: `${Math.min(...p99s)}–${Math.max(...p99s)}`,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'wgbench-load-'));
const raw = [];
const summary = [];
const sqlite = [];
for (let i = 0; i < rounds; i++) sqlite.push(await load(join(dir, `h${i}.sqlite`), 'sqlite (WAL)'));
raw.push(...sqlite);
summary.push(summarise('sqlite (WAL)', sqlite));
const cluster = await startThrowawayPostgres({ durable: true });
if (cluster === null) console.error('PostgreSQL is not installed: only SQLite measured');
else {
  try {
    const pgRounds = [];
    for (let i = 0; i < rounds; i++) pgRounds.push(await load(await freshDatabase(cluster, `load${i}`), 'postgres'));
    raw.push(...pgRounds);
    summary.push(summarise('postgres (local cluster, default fsync)', pgRounds));
  } finally {
    cluster.stop();
  }
}
rmSync(dir, { recursive: true, force: true });
console.table(summary);
console.log(JSON.stringify({ summary, rounds: raw }));
