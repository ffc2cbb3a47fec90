import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';

/**
 * Leaves an identical file alone: bitbake re-parses when a conf file's mtime changes, so rewriting
 * the same bytes would cost a warm check its cache.
 */
export function writeIfChanged(path: string, content: string): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return false;
  writeFileAtomic(path, content);
  return true;
}
