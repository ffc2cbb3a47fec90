import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Files shipped with the package (profiles, layers, templates, schemas), found from src/, dist/ or the bundle's
 * dist/chunks/ alike: the nearest directory up holding package.json.
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return join(from, '..');
  }
}
export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const embeddedProfilesDir = join(packageRoot, 'profiles');
export const layersDir = join(packageRoot, 'layers');
export const templatesDir = join(packageRoot, 'templates');
export const schemasDir = join(packageRoot, 'schemas');

export const toolVersion: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export const DEFAULT_PROFILE = 'gateway-qemuarm64';
export const PROJECT_FILE = 'vvehicle.yml';
export const LOCK_FILE = 'vvehicle.lock.yml';
