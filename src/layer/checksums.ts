import type { CheckedRelease } from '../config/releases.js';

/**
 * The comment lines above a pinned value (SRC_URI[sha256sum], SRCREV): the public sources it was checked
 * in when it is the checked value of that release, else that it is the one the configuration gives
 * (since config/component-pins.ts drops a pin inherited from another release, that is then true).
 */
export function pinComment(what: string, version: string, value: string, known: CheckedRelease[]): string[] {
  const match = known.find((k) => k.version === version && k.value === value);
  if (!match) return [`${what}: as given in the vvehicle configuration (not a value vvehicle has checked).`];
  return [`${what}: the same in independent public sources:`, ...match.sources.map((s) => (s.startsWith('  ') ? `  ${s.trim()}` : `- ${s}`))];
}
