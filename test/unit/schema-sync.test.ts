import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { schemasDir } from '../../src/package-paths.js';
import { runCli } from '../helpers/cli.js';

describe('the checked-in JSON Schema', () => {
  it('matches the zod schema (regenerate: node dist/cli.js schema > schemas/config.schema.json)', () => {
    const checkedIn = JSON.parse(readFileSync(join(schemasDir, 'config.schema.json'), 'utf8'));
    expect(checkedIn).toEqual(configJsonSchema());
  });

  it('`vvehicle schema` prints it, with descriptions and the extends key', async () => {
    const { code, stdout } = await runCli(['schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.properties.extends.type).toBe('string');
    expect(schema.properties.machine.enum).toEqual(['qemuarm64']);
    expect(schema.properties.version.description).toContain('semantic version');
    expect(schema.additionalProperties).toBe(false);
  });
});
