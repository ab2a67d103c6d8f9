import { InputError } from '../ci/gateConfig.js';
import type { RunResult } from '../results/schema.js';

export interface UploadAnswer {
  added: boolean;
  id: number;
}

/** Posts one results file to a `wgbench serve`; a refusal is an InputError carrying the server's reason. */
export async function uploadRun(server: URL, token: string, run: RunResult): Promise<UploadAnswer> {
  const endpoint = new URL('api/runs', server.href.endsWith('/') ? server.href : `${server.href}/`);
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(run),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new InputError(
      endpoint.origin,
      '--to',
      `cannot reach the server (${cause ?? (e instanceof Error ? e.message : String(e))}); is \`wgbench ` +
        `serve\` running there?`,
    );
  }
  const text = await response.text();
  let body: { added?: unknown; id?: unknown; error?: unknown; field?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not one of ours (a proxy's error page): the status line says enough.
  }
  if (!response.ok) {
    const why = typeof body.error === 'string' ? body.error : `${response.status} ${response.statusText}`;
    throw new InputError(
      endpoint.href,
      typeof body.field === 'string' ? body.field : '',
      `the server refused the upload (HTTP ${response.status}): ${why}`,
    );
  }
  if (typeof body.added !== 'boolean' || typeof body.id !== 'number')
    throw new InputError(
      endpoint.href,
      '',
      `the server's answer is not a wgbench server's (HTTP ${response.status}); check the --to URL`,
    );
  return { added: body.added, id: body.id };
}
