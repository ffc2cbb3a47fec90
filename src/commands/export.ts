import { lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../files/atomic.js';
import { openContext, type CommonOptions } from '../context.js';
import { exportKas, kasLayerPath } from '../export/kas.js';
import { renderLayer, writeLayer } from '../layer/render.js';

/**
 * `vvehicle export kas [-o DIR/FILE]`: a kas project file building the same image, on stdout; with -o it is
 * written there and meta-vvehicle rendered next to it, so DIR is a KAS_WORK_DIR kas can check out and build.
 */
export async function exportKasCommand(options: CommonOptions & { out?: string }, cwd = process.cwd()): Promise<string> {
  const { loaded, plan } = openContext(options, cwd);
  const { text, premirrors, links, copies } = exportKas(loaded.config, plan, loaded.files.slice().reverse());
  if (!options.out) return text.trimEnd();
  const file = resolve(cwd, options.out);
  const kasWorkDir = dirname(file);
  const layer = join(kasWorkDir, kasLayerPath(plan));
  await writeLayer(layer, renderLayer(loaded.config, plan));
  for (const [name, target] of Object.entries(links)) replaceLink(join(kasWorkDir, name), target);
  for (const [dest, source] of Object.entries(copies)) writeFileAtomic(join(kasWorkDir, dest), 'text' in source ? source.text : readFileSync(source.copyOf));
  writeFileAtomic(file, text);
  return [
    `wrote ${file} and meta-vvehicle in ${layer}`,
    `build it: KAS_WORK_DIR=${dirname(file)}${premirrors ? ` KAS_PREMIRRORS='${premirrors}'` : ''} kas build ${file}`,
  ].join('\n');
}

/** A path repository in KAS_WORK_DIR: a link to the directory itself (kas uses it in place, as vvehicle does). */
function replaceLink(link: string, target: string): void {
  mkdirSync(dirname(link), { recursive: true });
  if (lstatSync(link, { throwIfNoEntry: false })) rmSync(link, { recursive: false, force: true });
  symlinkSync(target, link);
}
