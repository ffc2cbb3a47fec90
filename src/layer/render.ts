import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import { requireSpace } from '../faults.js';
import { sweepLeftovers, tempSibling } from '../files/atomic.js';
import { pausePoint } from '../test-pause.js';
import { layersDir } from '../package-paths.js';
import { renderTemplate } from '../templates.js';
import type { BuildPlan } from '../plan/types.js';
import { onCleanup } from '../signals.js';
import { TEMPLATED_FILES } from './files.js';
import { assertSafeValues } from './guard.js';
import { buildLayerView } from './view.js';

export interface RenderedFile {
  /** Relative to the layer directory, posix separators. */
  path: string;
  content: string | Buffer;
  mode: number;
}

export const LAYER_NAME = 'meta-vvehicle';
const staticLayerDir = join(layersDir, LAYER_NAME);

/** The files of layers/meta-vvehicle/, as they are. */
function staticFiles(dir = staticLayerDir): RenderedFile[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return staticFiles(full);
    const path = relative(staticLayerDir, full).split(sep).join('/');
    const executable = (statSync(full).mode & 0o111) !== 0;
    return [{ path, content: readFileSync(full), mode: executable ? 0o755 : 0o644 }];
  });
}

/**
 * meta-vvehicle for this configuration: the static files plus the rendered templates, sorted by path.
 * Pure apart from reading the package's own layers/ and templates/; throws UserError on a value that
 * must not reach a template, before anything is rendered.
 */
export function renderLayer(config: Config, plan: BuildPlan): RenderedFile[] {
  const view = buildLayerView(config, plan);
  assertSafeValues(view);
  const files = new Map<string, RenderedFile>();
  for (const file of staticFiles()) files.set(file.path, file);
  for (const entry of TEMPLATED_FILES) {
    if (entry.when && !entry.when(view)) continue;
    const path = entry.path(view);
    if (files.has(path)) throw new Error(`layer file ${path} is both static and templated`);
    files.set(path, { path, content: renderTemplate(entry.template, view), mode: entry.mode ?? 0o644 });
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function safeRelative(path: string): string {
  const normal = posix.normalize(path);
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../') || normal !== path) {
    throw new Error(`refusing to write layer file outside the layer: ${path}`);
  }
  return normal;
}

/** Only a directory we made may be replaced: an empty one, or one holding a vvehicle layer.conf. */
async function assertReplaceable(outDir: string): Promise<void> {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new UserError(`${outDir} exists and is not a directory`, 'choose another --out');
  if (readdirSync(outDir).length === 0) return;
  const layerConf = join(outDir, 'conf', 'layer.conf');
  const ours = existsSync(layerConf) && /BBFILE_COLLECTIONS \+= "vvehicle"/.test(await readFile(layerConf, 'utf8'));
  if (!ours) {
    throw new UserError(`${outDir} exists and is not a meta-vvehicle layer: refusing to replace it`, 'choose another --out, or remove that directory');
  }
}

/**
 * Writes the layer atomically: everything goes into a temporary directory next to outDir, which then
 * replaces outDir by rename. A failure, Ctrl-C or SIGKILL leaves the previous layer (or nothing) in
 * place; the temp dirs of a killed run are removed (or the moved-aside layer restored) by the next
 * one. Returns notes about such leftovers.
 */
export async function writeLayer(outDir: string, files: RenderedFile[]): Promise<string[]> {
  const target = resolve(outDir);
  await assertReplaceable(target);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const notes = sweepLeftovers(parent);
  // a file takes at least one block; a directory one more per path level, roughly
  requireSpace(parent, files.reduce((sum, f) => sum + Math.ceil((f.content.length + 1) / 4096) * 4096 + 4096, 0), LAYER_NAME);
  const tmp = tempSibling(target, 'staging');
  const previous = tempSibling(target, 'old');
  await mkdir(tmp, { mode: 0o755 });
  const unregister = onCleanup(() => rm(tmp, { recursive: true, force: true }));
  try {
    for (const file of files) {
      const path = join(tmp, safeRelative(file.path));
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      await writeFile(path, file.content, { mode: file.mode });
      await chmod(path, file.mode); // the umask must not change what we write
    }
    await chmod(tmp, 0o755); // the umask again
    await pausePoint('layer:staged');
    if (existsSync(target)) {
      await rename(target, previous);
      await rename(tmp, target);
      await rm(previous, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
    unregister();
  }
  return notes;
}
