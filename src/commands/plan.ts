import { describePlan } from '../plan/describe.js';
import { openContext, type CommonOptions } from '../context.js';

export function planCommand(options: CommonOptions & { json?: boolean }): string {
  const { plan } = openContext(options);
  return options.json ? JSON.stringify(plan, null, 2) : describePlan(plan);
}
