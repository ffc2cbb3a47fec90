import { z } from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of vvehicle.yml (what editors and `vvehicle schema` use), generated from zod. */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const properties = { extends: { type: 'string', description: 'profile name or relative path this file builds on' }, ...(generated.properties as object) };
  // A project file only overrides what it changes (the rest comes from `extends`), so nothing is required here;
  // the merged result is checked in full when vvehicle loads it.
  return withoutRequired({ ...generated, $id: 'https://vvehicle.dev/schemas/config.schema.json', title: 'vvehicle configuration', properties }) as Record<string, unknown>;
}

function withoutRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'required').map(([k, v]) => [k, withoutRequired(v)]));
}
