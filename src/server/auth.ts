import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../ci/gateConfig.js';

/** Tokens shorter than this are guessable; `serve` refuses them. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * A lab's token: from `file` when given (its first line), else $WGBENCH_SERVE_TOKEN; null when
 * neither is set. A file that cannot be read, or holds nothing, is an InputError naming it.
 */
export function readToken(
  file: string | undefined,
  env: Record<string, string | undefined>,
  flag: string,
  variable = 'WGBENCH_SERVE_TOKEN',
): string | null {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(
        file,
        '',
        `cannot read the token file given to ${flag}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const token = (text.split(/\r?\n/)[0] ?? '').trim();
    if (token === '')
      throw new InputError(file, '', `the token file given to ${flag} is empty; write the token on its first line`);
    return token;
  }
  const fromEnv = env[variable]?.trim();
  return fromEnv === undefined || fromEnv === '' ? null : fromEnv;
}

/**
 * Compares in time that does not depend on where the strings differ (both are hashed first, so lengths do not leak
 * either).
 */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The token of an `Authorization: Bearer …` header, or of HTTP Basic (any user, the token as password) so a browser can
 * open private pages.
 */
export function presentedToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1] ?? null;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : decoded.slice(colon + 1);
  }
  return null;
}
