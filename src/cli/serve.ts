import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InputError } from '../ci/gateConfig.js';
import { historyKind, historyLocation, openHistory } from '../history/open.js';
import { reportAssets, toolVersion } from '../platform/node.js';
import { buildServer, closeWithin, SERVER_LIMITS } from '../server/app.js';
import { MIN_TOKEN_LENGTH, readToken } from '../server/auth.js';
import { ExitCode } from './exitCodes.js';
import { STOP_SIGNALS, type StopSignal } from './interrupt.js';
import { boundedInteger } from './options.js';
import type { Io } from './io.js';

interface ServeFlags {
  host: string;
  port: number;
  db?: string;
  tokenFile?: string;
  uploads: boolean;
  readTokenFile?: string;
  maxBodyMib: number;
  rateLimit: number;
  page?: string;
  requestTimeoutS: number;
  headersTimeoutS: number;
  maxConnectionsPerClient: number;
  shutdownGraceS: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function checkedToken(token: string | null, source: string): string | null {
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    throw new InputError(
      source,
      '',
      `the token is ${token.length} characters; use at least ${MIN_TOKEN_LENGTH} (e.g. \`openssl rand -hex ` +
        `32\`), since anyone who guesses it can write to the lab`,
    );
  }
  return token;
}

/** Serves until the first SIGINT, SIGTERM or SIGHUP, then closes connections and the database and exits 0. */
async function commandServe(flags: ServeFlags, io: Io): Promise<number> {
  const location = historyLocation(flags.db, io.env);
  historyKind(location);
  const uploadToken = flags.uploads
    ? checkedToken(readToken(flags.tokenFile, io.env, '--token-file'), flags.tokenFile ?? '$WGBENCH_SERVE_TOKEN')
    : null;
  if (flags.uploads && uploadToken === null) {
    throw new InputError(
      '(command line)',
      '--token-file',
      'uploads need a token, one per lab: set WGBENCH_SERVE_TOKEN or pass --token-file FILE (e.g. `openssl ' +
        'rand -hex 32 > lab.token`), or pass --no-uploads to serve read-only',
    );
  }
  const readOnlyToken = checkedToken(
    readToken(flags.readTokenFile, io.env, '--read-token-file', 'WGBENCH_SERVE_READ_TOKEN'),
    flags.readTokenFile ?? '$WGBENCH_SERVE_READ_TOKEN',
  );
  const pageDir = flags.page ?? fileURLToPath(new URL('../../dist-web', import.meta.url));

  const history = await openHistory(location);
  const app = await buildServer({
    history,
    uploadToken,
    readToken: readOnlyToken,
    pageDir,
    bodyLimitBytes: flags.maxBodyMib * 1024 * 1024,
    rateLimitPerMinute: flags.rateLimit,
    reportAssets: reportAssets(),
    version: toolVersion(),
    log: (line) => io.stderr.write(`wgbench serve: ${line}\n`),
    limits: {
      requestTimeoutMs: flags.requestTimeoutS * 1000,
      headersTimeoutMs: flags.headersTimeoutS * 1000,
      connectionsPerClient: flags.maxConnectionsPerClient,
    },
  });
  try {
    await app.listen({ host: flags.host, port: flags.port });
  } catch (e) {
    await app.close();
    await history.close();
    const code = (e as { code?: unknown }).code;
    if (code === 'EADDRINUSE')
      throw new InputError(
        '(command line)',
        '--port',
        `${flags.host}:${flags.port} is already in use; pick another --port (0 takes any free one)`,
      );
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
      throw new InputError(
        '(command line)',
        '--host',
        `cannot listen on ${flags.host}:${flags.port} (${e instanceof Error ? e.message : String(e)})`,
      );
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : flags.port;
  const shownHost = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  const reach = LOOPBACK.has(flags.host)
    ? 'this machine only; --host 0.0.0.0 lets other machines reach it'
    : 'reachable from other machines: anyone who can reach it can read the lab unless reading needs a token';
  io.stdout.write(`wgbench serve: listening on http://${shownHost}:${port}/ (${reach})\n`);
  io.stdout.write(
    `  history: ${history.location} (${history.dialect})\n  uploads: ` +
      `${
        uploadToken === null
          ? 'off'
          : `on, POST /api/runs with the token from ` + (flags.tokenFile ?? '$WGBENCH_SERVE_TOKEN')
      }; ` +
      `reading: ${readOnlyToken === null ? 'open' : 'needs a token'}\n  lab: ` +
      `http://${shownHost}:${port}/lab\n`,
  );

  const signal = await new Promise<StopSignal>((resolve) => {
    for (const s of STOP_SIGNALS)
      process.once(s, () => {
        resolve(s);
      });
  });
  io.stderr.write(
    `wgbench serve: ${signal}: finishing the requests in flight (at most ${flags.shutdownGraceS} s), then closing\n`,
  );
  await closeWithin(app, flags.shutdownGraceS * 1000);
  await history.close();
  return ExitCode.OK;
}

export function addServeCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description(
      "serve the page, take results uploads into the history database, and show the lab's devices, cases " +
        'over time and comparisons',
    )
    .option('--host <host>', 'address to listen on (default: this machine only)', '127.0.0.1')
    .option('--port <n>', 'port, 0 for any free one', boundedInteger('--port', 0, 65535), 8080)
    .option(
      '--db <file|url>',
      'history database: a SQLite file, or postgres://user:password@host:5432/database (default: ' +
        '$WGBENCH_HISTORY_DB or ~/.local/share/wgbench/history.sqlite)',
    )
    .option('--token-file <file>', "the upload token, on the file's first line (default: $WGBENCH_SERVE_TOKEN)")
    .option('--no-uploads', 'serve read-only: no token needed, POST /api/runs refused')
    .option(
      '--read-token-file <file>',
      'make reading need a token too (default: $WGBENCH_SERVE_READ_TOKEN; unset: reading is open)',
    )
    .option('--max-body-mib <n>', 'largest upload taken, 1–1024 MiB', boundedInteger('--max-body-mib', 1, 1024), 32)
    .option(
      '--rate-limit <n>',
      'requests a minute per client, 1–1000000',
      boundedInteger('--rate-limit', 1, 1_000_000),
      600,
    )
    .option(
      '--request-timeout-s <n>',
      "a request's headers and body must arrive within this, 1–3600 s",
      boundedInteger('--request-timeout-s', 1, 3600),
      SERVER_LIMITS.requestTimeoutMs / 1000,
    )
    .option(
      '--headers-timeout-s <n>',
      "a request's headers must arrive within this, 1–600 s",
      boundedInteger('--headers-timeout-s', 1, 600),
      SERVER_LIMITS.headersTimeoutMs / 1000,
    )
    .option(
      '--max-connections-per-client <n>',
      'open connections one address may hold, 1–10000',
      boundedInteger('--max-connections-per-client', 1, 10_000),
      SERVER_LIMITS.connectionsPerClient,
    )
    .option(
      '--shutdown-grace-s <n>',
      'on SIGINT/SIGTERM, requests in flight get this long before their connections are closed, 0–600 s',
      boundedInteger('--shutdown-grace-s', 0, 600),
      10,
    )
    .option('--page <dir>', 'the built page to serve (default: dist-web/ of this wgbench, from `npm run build:web`)')
    .action(async (flags: ServeFlags) => {
      setExit(await commandServe(flags, io));
    });
}
