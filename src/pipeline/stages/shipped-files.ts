import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { layersDir, templatesDir, toolVersion } from '../../package-paths.js';

let cached: unknown;

/**
 * What a stage's rendering depends on besides the config: the tool version and the shipped templates and
 * layer files, by path, size and mtime (a stat each, nothing read). A warm rerun digests this instead of
 * rendering every file to find out that nothing changed; an edited template still changes it.
 */
export function shippedFilesFingerprint(): unknown {
  cached ??= { toolVersion, templates: statTree(templatesDir), layers: statTree(layersDir) };
  return cached;
}

function statTree(root: string): [string, number, number][] {
  const out: [string, number, number][] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, `${rel}${entry.name}/`);
      else {
        const s = statSync(path);
        out.push([`${rel}${entry.name}`, s.size, Math.trunc(s.mtimeMs)]);
      }
    }
  };
  walk(root, '');
  return out;
}
