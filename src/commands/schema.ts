import { configJsonSchema } from '../config/json-schema.js';

export function schemaCommand(): string {
  return JSON.stringify(configJsonSchema(), null, 2);
}
