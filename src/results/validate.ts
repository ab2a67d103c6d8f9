import { InputError } from '../ci/gateConfig.js';
import { checkRunConsistency } from './consistency.js';
import { MAX_DOCUMENT_DEPTH, tooDeep } from './extras.js';
import { parseRunResult, type RunResult } from './schema.js';

/**
 * A parsed results document, validated against the schema and for consistency (unique ids,
 * summaries that follow from the samples); the InputError names the source and the field. The
 * CLI's files and the server's uploads both come through here, so both refuse the same things.
 */
export function validateRunDocument(data: unknown, source: string): RunResult {
  const deep = tooDeep(data);
  if (deep !== null)
    throw new InputError(source, deep, `nested deeper than ${MAX_DOCUMENT_DEPTH} levels (not a wgbench results file)`);
  let run: RunResult;
  try {
    run = parseRunResult(data, source);
  } catch (e) {
    const m = /invalid at "([^"]*)": (.*)$/s.exec(e instanceof Error ? e.message : '');
    if (m) throw new InputError(source, m[1] ?? '', `${m[2] ?? ''} (not a valid wgbench results file)`);
    throw new InputError(
      source,
      'schemaVersion',
      e instanceof Error ? e.message.replace(`${source}: `, '') : String(e),
    );
  }
  checkRunConsistency(run, source);
  return run;
}
