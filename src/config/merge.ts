/**
 * Profile inheritance: objects merge key by key, everything else (arrays included) is replaced, and a key set
 * to null in a more derived file removes what the profile set (e.g. `commit: null` lifts a profile's pin so
 * the branch is followed, pinned by the lock file), as in Helm values.
 */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergeProfiles(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : withoutNulls(override);
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = key in base ? mergeProfiles(base[key], value) : withoutNulls(value);
  }
  return out;
}

/** A null in a file with nothing below it to remove is simply absent. */
function withoutNulls(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}
