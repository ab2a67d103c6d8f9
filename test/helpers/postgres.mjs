// A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp folder, a server on a
// free port of 127.0.0.1 with trust auth for its own user, stopped and removed by stop(). Runs as
// the `postgres` user when this process is root (initdb refuses root). Plain JavaScript so that
// bench scripts under Node can use it as the tests do.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The folder holding initdb and pg_ctl, or null when PostgreSQL is not installed. */
export function findPostgresBin() {
  // WGBENCH_POSTGRES_BIN names the folder; "none" acts out a machine without PostgreSQL.
  const pinned = process.env.WGBENCH_POSTGRES_BIN;
  if (pinned === 'none') return null;
  if (pinned) return pinned;
  const fromPath = (process.env.PATH ?? '')
    .split(':')
    .find((d) => d !== '' && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (fromPath) return fromPath;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : join(root, versions[0], 'bin');
}

export const POSTGRES_MISSING = 'PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run installs it)';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster; resolves to { url, dir, stop() }, or null when PostgreSQL is not installed.
 * Tests run without fsync (nothing to keep); `durable: true` keeps PostgreSQL's defaults, for figures.
 */
export async function startThrowawayPostgres({ durable = false } = {}) {
  const bin = findPostgresBin();
  if (bin === null) return null;
  const root = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'wgbench-pg-'));
  const data = join(dir, 'data');
  let uid = -1;
  if (root) {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const as = (cmd, args) =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  const port = await freePort();
  as('initdb', ['-D', data, '-A', 'trust', '-U', 'wgbench', '--no-sync', '-E', 'UTF8']);
  const fast = durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const options =
    `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} ` + `-c max_connections=200${fast}`;
  as('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
  const stop = () => {
    try {
      as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A test run killed mid-way must not leave a server behind.
  process.once('exit', () => {
    if (existsSync(join(data, 'postmaster.pid'))) {
      try {
        stop();
      } catch {
        /* already gone */
      }
    }
  });
  return { url: `postgres://wgbench@127.0.0.1:${port}/postgres`, dir, port, stop, uid };
}

/** A fresh, empty database in the cluster: every test starts from nothing. */
export async function freshDatabase(cluster, name) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}"`);
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}
