import { UserError } from '../errors.js';

/**
 * The renderer's own check, behind the schema's: no value that lands in a recipe, a unit or a YAML file
 * may carry a quote, a backslash, a backtick, a newline or "${". Any of them would let a configuration
 * value end a BitBake string or start a BitBake expansion, so rendering stops before any file exists.
 */
const UNSAFE = /["'\\`\n\r]|\$\{/;

export function assertSafeValues(value: unknown, path = ''): void {
  if (typeof value === 'string') {
    if (UNSAFE.test(value)) {
      throw new UserError(
        `${path || 'value'}: ${JSON.stringify(value)} must not contain quotes, backslashes, backticks, newlines or "\${" (it would break the generated layer)`,
        'fix the value in the configuration; nothing was written',
      );
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertSafeValues(item, `${path}[${i}]`));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) assertSafeValues(item, path ? `${path}.${key}` : key);
  }
}
