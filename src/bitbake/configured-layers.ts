import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The layers a build dir is configured with, named as `bitbake-layers show-layers` names them, read from
 * the files bitbake reads: conf/bblayers.conf (which `vvehicle configure` writes) and each layer's
 * conf/layer.conf. `vvehicle check` reports them without a container run of its own: show-layers
 * costs a bitbake server start and a configuration parse, and `bitbake -g` already fails on a layer
 * it cannot load.
 */

/** One BitBake assignment to `name`: `NAME op "value"`, the value possibly continued with `\` lines. */
const assignment = (name: string) => new RegExp(`^${name}\\s*(\\?\\?=|\\?=|:=|\\+=|=\\+|\\.=|=\\.|=)\\s*"((?:[^"\\\\]|\\\\\\n|\\\\.)*)"`, 'gm');

const words = (value: string) => value.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);

/** BBLAYERS as its assignments in bblayers.conf leave it, in order (`?=` sets only when unset; `=+` prepends). */
export function bblayersOf(text: string): string[] {
  let layers: string[] | undefined;
  for (const m of text.matchAll(assignment('BBLAYERS'))) {
    const value = words(m[2]!);
    switch (m[1]) {
      case '?=':
      case '??=':
        layers ??= value;
        break;
      case '+=':
      case '.=':
        layers = [...(layers ?? []), ...value];
        break;
      case '=+':
      case '=.':
        layers = [...value, ...(layers ?? [])];
        break;
      default:
        layers = value;
    }
  }
  return layers ?? [];
}

/** The collection names a layer.conf adds to BBFILE_COLLECTIONS (show-layers' first column). */
export function collectionsOf(layerConf: string): string[] {
  return [...layerConf.matchAll(assignment('BBFILE_COLLECTIONS'))].flatMap((m) => words(m[2]!));
}

/** Collection names of every layer in <conf>/bblayers.conf, in BBLAYERS order (a layer without a layer.conf names none). */
export function configuredLayerNames(confDir: string): string[] {
  const bblayers = join(confDir, 'bblayers.conf');
  if (!existsSync(bblayers)) return [];
  return bblayersOf(readFileSync(bblayers, 'utf8')).flatMap((dir) => {
    const layerConf = join(dir, 'conf', 'layer.conf');
    return existsSync(layerConf) ? collectionsOf(readFileSync(layerConf, 'utf8')) : [];
  });
}
