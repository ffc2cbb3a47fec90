import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

/** Files shipped with the package (profiles, layers, templates, schemas), found from src/ or dist/ alike. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const embeddedProfilesDir = join(packageRoot, 'profiles');
export const layersDir = join(packageRoot, 'layers');
export const templatesDir = join(packageRoot, 'templates');
export const schemasDir = join(packageRoot, 'schemas');

export const toolVersion: string = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export const DEFAULT_PROFILE = 'gateway-qemuarm64';
export const PROJECT_FILE = 'vvehicle.yml';
export const LOCK_FILE = 'vvehicle.lock.yml';
