import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as addFormatsModule from 'ajv-formats';
import { schemasDir } from '../../src/package-paths.js';

// ajv-formats is CommonJS (exports.default = fn); under NodeNext its function is the namespace's default
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * Validates with the checked-in schemas/manifest.schema.json through ajv — what a fleet tool
 * would do — independently of the zod schema it was generated from.
 */
export function manifestValidator(): (data: unknown) => string[] {
  const schema = JSON.parse(readFileSync(join(schemasDir, 'manifest.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`));
}
