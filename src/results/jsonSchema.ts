import { z } from 'zod';
import { RESULT_SCHEMA_VERSION, runResultSchema } from './schema.js';

/**
 * The results format as JSON Schema (draft 2020-12), generated from the same zod schema that
 * validates every file wgbench reads; shipped as schema/run-result.v1.schema.json.
 */
export function runResultJsonSchema(): Record<string, unknown> {
  return {
    $id: `https://wgbench.dev/schema/run-result.v${RESULT_SCHEMA_VERSION}.schema.json`,
    title: `wgbench run result, schemaVersion ${RESULT_SCHEMA_VERSION}`,
    ...z.toJSONSchema(runResultSchema, { io: 'input' }),
  };
}
