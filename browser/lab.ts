// When the page is served by `wgbench serve`, an Upload button beside Export posts the run to the
// lab's history. Served any other way (vite, a static host, a file) the server is not there and
// nothing shows: the page works the same without it.
import { renderJson } from '../src/reporters/json.js';
import type { RunResult } from '../src/results/schema.js';

interface LabInfo {
  tool: string;
  uploads: boolean;
}

const TOKEN_KEY = 'wgbench-lab-token';

async function labInfo(): Promise<LabInfo | null> {
  try {
    const r = await fetch('./api/info', { headers: { accept: 'application/json' } });
    if (!r.ok || !(r.headers.get('content-type') ?? '').includes('application/json')) return null;
    const info = (await r.json()) as Partial<LabInfo>;
    return info.tool === 'wgbench' && typeof info.uploads === 'boolean' ? (info as LabInfo) : null;
  } catch {
    return null;
  }
}

/** The server's answer as one sentence for the status line. */
async function describeAnswer(r: Response): Promise<{ text: string; ok: boolean }> {
  let body: { added?: boolean; id?: number; error?: string; field?: string } = {};
  try {
    body = (await r.json()) as typeof body;
  } catch {
    // not JSON: the status line says enough
  }
  if (r.ok)
    return {
      text:
        body.added === true
          ? `uploaded to the lab as run ${body.id ?? '?'}; see /lab/runs/${body.id ?? ''}`
          : `already in the lab as run ${body.id ?? '?'}`,
      ok: true,
    };
  const field = body.field !== undefined && body.field !== '' ? ` (field "${body.field}")` : '';
  return { text: `the lab refused the upload (HTTP ${r.status})${field}: ${body.error ?? r.statusText}`, ok: false };
}

/** Shows the lab controls if a wgbench server is behind this page; `current` gives the run to send. */
export async function setupLabUpload(
  current: () => RunResult | null,
  setStatus: (text: string, error: boolean) => void,
): Promise<void> {
  const info = await labInfo();
  const controls = document.getElementById('lab-upload');
  const button = document.getElementById('upload') as HTMLButtonElement | null;
  const token = document.getElementById('upload-token') as HTMLInputElement | null;
  if (info === null || !info.uploads || controls === null || button === null || token === null) return;
  controls.hidden = false;
  token.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  const refresh = (): void => {
    button.disabled = current() === null || token.value.trim() === '';
  };
  token.addEventListener('input', refresh);
  setInterval(refresh, 500);
  button.addEventListener('click', () => {
    const run = current();
    if (run === null) return;
    sessionStorage.setItem(TOKEN_KEY, token.value.trim());
    button.disabled = true;
    void fetch('./api/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.value.trim()}` },
      body: renderJson(run),
    })
      .then(describeAnswer, (e: unknown) => ({
        text: `cannot reach the lab: ${e instanceof Error ? e.message : String(e)}`,
        ok: false,
      }))
      .then(({ text, ok }) => {
        setStatus(text, !ok);
        refresh();
      });
  });
}
