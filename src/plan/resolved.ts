import { stringify } from 'yaml';
import type { Config } from '../config/schema.js';

/** Keys whose values are secrets wherever they appear (the UE's K and OP/OPc, credentials). */
const SECRET_KEY = /^(key|op|opc|password|passphrase|secret|token)$/i;
export const MASK = '<secret: not shown>';

/** The configuration with every secret replaced by MASK: what `vvehicle plan` may print. */
export function maskedConfig(config: Config): unknown {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined && v !== null ? MASK : walk(v)]));
    }
    return value;
  };
  return walk(config);
}

/**
 * What `vvehicle plan` adds to the plan, like `kas dump`: the files merged, in order (each later file wins),
 * and the whole resolved configuration, secrets masked: every value that reaches a generated file.
 */
export function describeResolved(config: Config, filesInMergeOrder: readonly string[]): string {
  return [
    'files loaded (in merge order, later wins):',
    ...filesInMergeOrder.map((f, i) => `  ${i + 1}. ${f}`),
    '',
    'resolved configuration (secrets masked):',
    ...stringify(maskedConfig(config), { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`),
  ].join('\n');
}
