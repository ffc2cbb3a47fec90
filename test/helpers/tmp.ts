import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir removed after the test. */
export function tempDir(prefix = 'vvehicle-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Every file below dir, relative, sorted: to prove a failed command wrote nothing. */
export function listTree(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base))
    .flatMap((name) => {
      const rel = base ? `${base}/${name}` : name;
      return statSync(join(dir, rel)).isDirectory() ? [rel + '/', ...listTree(dir, rel)] : [rel];
    })
    .sort();
}
