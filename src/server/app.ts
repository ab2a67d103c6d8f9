import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { compareRuns, DeviceMismatchError } from '../ci/compare.js';
import { InputError } from '../ci/gateConfig.js';
import type { HistoryStore } from '../history/store.js';
import { calibrationKey } from '../probe/calibration.js';
import { renderHtml, type ReportAssets } from '../reporters/html.js';
import { parseRunResult } from '../results/schema.js';
import { validateRunDocument } from '../results/validate.js';
import { presentedToken, tokensEqual } from './auth.js';
import { caseView, compareView, deviceView, devicesView, LAB_CSS, labPage, runsView } from './views.js';

export interface ServerOptions {
  history: HistoryStore;
  /** The lab's upload token; null switches uploads off. */
  uploadToken: string | null;
  /** When set, reading (pages and API) needs this token too; null leaves reading open. */
  readToken: string | null;
  /** The built page (dist-web/); null or missing: `/` says how to build it. */
  pageDir: string | null;
  bodyLimitBytes: number;
  /** Requests per client per minute, uploads and reads together. */
  rateLimitPerMinute: number;
  reportAssets: ReportAssets;
  version: string;
  /** One line per stored upload. */
  log?: (line: string) => void;
  /** Limits that keep slow or greedy clients from holding the server; defaults in SERVER_LIMITS. */
  limits?: Partial<ServerLimits>;
}

/** How long a client may take and how much of the server it may hold. */
export interface ServerLimits {
  /** From the first byte to the last of the headers. */
  headersTimeoutMs: number;
  /** From the first byte to the end of the body (a 32 MiB upload over a slow LAN fits). */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections from one address; more are closed at once. */
  connectionsPerClient: number;
  /** How often Node checks the header and request timeouts. */
  checkIntervalMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  connectionsPerClient: 32,
  checkIntervalMs: 1_000,
};

/**
 * Who may use a route. The lab authorises by the route that will handle a request (its own config),
 * never by comparing the URL as sent, which encodings, fragments and absolute forms walk around.
 */
export type RouteAccess = 'upload' | 'read' | 'open';
const access = (a: RouteAccess): { config: { access: RouteAccess } } => ({ config: { access: a } });

/** No script or style but our own files, nothing framed, nothing posted elsewhere. */
const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
  // The lab is often plain http on a LAN; upgrading its requests to https would break it.
  upgradeInsecureRequests: null,
};

/** The CSP of a report with inline Chart.js: each inline block allowed by its hash, nothing else. */
function reportCsp(html: string): string {
  const hashes = (tag: string): string[] =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map(
      (m) =>
        `'sha256-${createHash('sha256')
          .update(m[1] ?? '')
          .digest('base64')}'`,
    );
  return (
    `default-src 'none'; script-src ${hashes('script').join(' ')}; style-src ${hashes('style').join(' ')}; ` +
    `img-src data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`
  );
}

interface ErrorBody {
  error: string;
  field?: string;
}

function fail(reply: FastifyReply, status: number, error: string, field?: string): FastifyReply {
  const body: ErrorBody = field === undefined ? { error } : { error, field };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** A run id as the databases store it (a 32-bit integer); anything else names no run. */
const positiveId = (value: string): number | null =>
  /^[1-9]\d{0,9}$/.test(value) && Number(value) <= 2 ** 31 - 1 ? Number(value) : null;

/**
 * `wgbench serve`: the page, an upload endpoint that validates results files exactly as the CLI
 * does before they reach the history, and the lab's cross-device views. Listening is the caller's.
 */
export async function buildServer(o: ServerOptions): Promise<FastifyInstance> {
  const limits = { ...SERVER_LIMITS, ...o.limits };
  const app = Fastify({
    bodyLimit: o.bodyLimitBytes,
    logger: false,
    trustProxy: false,
    // Idle keep-alive sockets are closed when the server closes; app.close's caller bounds the rest.
    forceCloseConnections: 'idle',
    serverFactory: (handler) => limitedServer(handler, limits),
  });
  // Results files are JSON; a text body is refused (415) rather than read as a string.
  app.removeContentTypeParser('text/plain');
  await app.register(helmet, { contentSecurityPolicy: { directives: CSP }, hsts: false, global: true });
  await app.register(rateLimit, {
    global: true,
    max: o.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: `rate limit: at most ${ctx.max} requests a minute per client; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status === 413)
      return fail(
        reply,
        413,
        `the body is larger than this server takes (${o.bodyLimitBytes} bytes; --max-body-mib raises it)`,
      );
    if (status === 429) return fail(reply, 429, err.message);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return fail(reply, 415, 'send the results file as JSON (Content-Type: application/json)');
    if (status >= 400 && status < 500)
      return fail(
        reply,
        status,
        err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'the body is empty; send a results file'
          : `not valid JSON: ${err.message}`,
        '',
      );
    o.log?.(`error: ${err.message}`);
    return fail(reply, 500, 'the server could not store or read this; its log says why');
  });

  const authorized = (req: FastifyRequest, token: string): boolean => {
    const given = presentedToken(req.headers.authorization);
    return given !== null && tokensEqual(given, token);
  };
  // Authorised by the matched route's declared access, in preParsing: after the rate limiter's
  // onRequest hook (so failed attempts count against the limit) and before the body is read.
  app.addHook('preParsing', async (req, reply) => {
    const routeAccess = (req.routeOptions.config as { access?: RouteAccess }).access ?? 'read';
    if (routeAccess === 'open') return;
    if (routeAccess === 'upload') {
      if (o.uploadToken === null)
        return fail(reply, 403, 'uploads are switched off on this server (started with --no-uploads)');
      if (!authorized(req, o.uploadToken))
        return fail(
          reply.header('www-authenticate', 'Bearer realm="wgbench"'),
          401,
          "uploading needs this lab's token: Authorization: Bearer <token>",
        );
      return;
    }
    if (
      o.readToken !== null &&
      !authorized(req, o.readToken) &&
      !(o.uploadToken !== null && authorized(req, o.uploadToken))
    ) {
      const challenge = req.url.startsWith('/api/')
        ? 'Bearer realm="wgbench"'
        : 'Basic realm="wgbench lab", charset="UTF-8"';
      return fail(reply.header('www-authenticate', challenge), 401, 'reading this lab needs its token');
    }
    return;
  });
  // Unknown paths are rate-limited too, so probing for routes costs a client its budget.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (req, reply) =>
    fail(reply, 404, `no such page or endpoint: ${req.method} ${req.url.slice(0, 200)}`),
  );

  app.get('/api/info', access('open'), () =>
    Promise.resolve({
      tool: 'wgbench',
      version: o.version,
      uploads: o.uploadToken !== null,
      readNeedsToken: o.readToken !== null,
      history: o.history.dialect,
    }),
  );

  app.post('/api/runs', access('upload'), async (req, reply) => {
    let run;
    try {
      run = validateRunDocument(req.body, 'upload');
    } catch (e) {
      if (e instanceof InputError) return fail(reply, 400, e.message.replace(/^upload: /, ''), e.field);
      throw e;
    }
    let outcome;
    try {
      outcome = await o.history.add(run, `upload from ${req.ip}`);
    } catch (e) {
      if (e instanceof InputError) return fail(reply, 503, `the history database is not usable now: ${e.message}`);
      throw e;
    }
    const { added, id } = outcome;
    if (added)
      o.log?.(
        `stored run ${id}: ${run.startedAt}, ${run.cases.length} cases, device ` +
          `${calibrationKey(run.device)}, from ${req.ip}`,
      );
    return reply.code(added ? 201 : 200).send({ added, id });
  });

  app.get('/api/runs', async (req) => o.history.listRuns(deviceParam(req)));
  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req, reply) => {
    const id = positiveId(req.params.id);
    const doc = id === null ? null : await o.history.runDocument(id);
    if (doc === null) return fail(reply, 404, `no run ${req.params.id} with a stored results file here`);
    return reply.type('application/json; charset=utf-8').send(doc);
  });
  app.get('/api/devices', async () => o.history.devices());
  app.get<{ Querystring: { id?: string; device?: string } }>('/api/cases', async (req, reply) => {
    if (req.query.id === undefined || req.query.id === '')
      return fail(reply, 400, 'name the case: /api/cases?id=<case id>[&device=<key>]', 'id');
    return o.history.showCase(req.query.id, deviceParam(req));
  });

  const html = (reply: FastifyReply, body: string): FastifyReply => reply.type('text/html; charset=utf-8').send(body);
  app.get('/lab/lab.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(LAB_CSS));
  app.get('/lab', async (_req, reply) => html(reply, devicesView(await o.history.devices(), o.history.location)));
  app.get('/lab/runs', async (_req, reply) => html(reply, runsView(await o.history.listRuns())));
  app.get<{ Params: { key: string } }>('/lab/devices/:key', async (req, reply) => {
    const device = (await o.history.devices()).find((d) => d.deviceKey === req.params.key);
    if (device === undefined)
      return html(
        reply.code(404),
        labPage(
          'No such device',
          '<p>No runs from this device here; <a href="/lab">the devices</a> lists what is.</p>',
        ),
      );
    return html(reply, deviceView(device, await o.history.runCases(device.latestRunId)));
  });
  app.get<{ Querystring: { id?: string; device?: string } }>('/lab/cases', async (req, reply) => {
    const caseId = req.query.id ?? '';
    const rows = caseId === '' ? [] : await o.history.showCase(caseId, deviceParam(req));
    if (rows.length === 0)
      return html(
        reply.code(404),
        labPage('No such case', '<p>No such case in the history; a device page links to its cases.</p>'),
      );
    return html(reply, caseView(caseId, deviceParam(req), rows));
  });
  app.get<{ Params: { id: string } }>('/lab/runs/:id', async (req, reply) => {
    const id = positiveId(req.params.id);
    const doc = id === null ? null : await o.history.runDocument(id);
    if (doc === null)
      return html(
        reply.code(404),
        labPage(
          'No such run',
          '<p>No run with a stored results file by that id; <a href="/lab/runs">the runs</a> lists them.</p>',
        ),
      );
    const page = renderHtml(parseRunResult(JSON.parse(doc), `run ${id}`), o.reportAssets);
    return html(reply.header('content-security-policy', reportCsp(page)), page);
  });
  app.get<{ Querystring: { base?: string; new?: string; anyDevice?: string } }>('/lab/compare', async (req, reply) => {
    const runs = await o.history.listRuns();
    const base = positiveId(req.query.base ?? '');
    const next = positiveId(req.query.new ?? '');
    if (base === null || next === null) return html(reply, compareView(runs, runs.at(-2)?.id, runs.at(-1)?.id, null));
    const [a, b] = await Promise.all([o.history.runDocument(base), o.history.runDocument(next)]);
    if (a === null || b === null)
      return html(
        reply.code(404),
        compareView(runs, base, next, `run ${a === null ? base : next} has no stored results file here`),
      );
    let outcome: Parameters<typeof compareView>[3];
    try {
      outcome = compareRuns(
        parseRunResult(JSON.parse(a)),
        parseRunResult(JSON.parse(b)),
        undefined,
        req.query.anyDevice === '1',
      );
    } catch (e) {
      if (!(e instanceof DeviceMismatchError)) throw e;
      outcome = e.message.replace('Pass --allow-device-mismatch', 'Tick "across devices"');
    }
    return html(reply, compareView(runs, base, next, outcome));
  });

  if (o.pageDir !== null && existsSync(join(o.pageDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: o.pageDir, prefix: '/', index: ['index.html'], wildcard: true });
  } else {
    app.get('/', async (_req, reply) =>
      html(
        reply,
        labPage(
          'wgbench lab',
          '<p>The page is not built here: run <code>npm run build:web</code> in the wgbench checkout, then ' +
            'restart <code>wgbench serve</code>. The <a href="/lab">lab views</a> work without it.</p>',
        ),
      ),
    );
  }
  return app;
}

function deviceParam(req: FastifyRequest): string | undefined {
  const d = (req.query as { device?: unknown }).device;
  return typeof d === 'string' && d !== '' ? d : undefined;
}

/**
 * Node's HTTP server with every timeout set (Fastify's default request timeout is none, so a client
 * that sends its body a byte a minute held a socket for ever) and a cap on connections per address.
 */
function limitedServer(handler: (req: IncomingMessage, res: ServerResponse) => void, limits: ServerLimits): Server {
  const server = createServer(
    {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    handler,
  );
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? '?';
    const count = (open.get(client) ?? 0) + 1;
    if (count > limits.connectionsPerClient) {
      socket.destroy();
      return;
    }
    open.set(client, count);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left <= 0) open.delete(client);
      else open.set(client, left);
    });
  });
  return server;
}

/**
 * Closes the server within `graceMs`: no new connections, idle ones closed now, requests in flight
 * given the grace to finish, then every socket that is left is closed.
 */
export async function closeWithin(app: FastifyInstance, graceMs: number): Promise<void> {
  const force = setTimeout(() => {
    app.server.closeAllConnections();
  }, graceMs);
  try {
    app.server.closeIdleConnections();
    await app.close();
  } finally {
    clearTimeout(force);
  }
}
