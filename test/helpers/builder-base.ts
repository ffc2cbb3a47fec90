import { join } from 'node:path';
import { debootstrapBaseTag, debootstrapRootfsTarball } from '../../src/container/builder-image.js';
import { imageExists, importImage, type Engine } from '../../src/tools/engine.js';
import { cachedDir } from './fixtures/cache.js';
import { debianMirror } from './fixtures/debian-packages.js';

export { debianMirror };

/**
 * The debootstrapped builder base (bookworm + the Yocto host packages, ≈ 870 MB) as a rootfs tarball,
 * made once per machine by vvehicle's own debootstrap code and shared by both engines. Keyed like
 * the image tag: by the suite and the package list.
 */
export async function builderBaseTarball(): Promise<string> {
  const key = `builder-base-1-${debootstrapBaseTag().split(':')[1]}`;
  const dir = await cachedDir(key, (d) => debootstrapRootfsTarball(debianMirror(), join(d, 'rootfs.tar'), { logFile: join(d, 'debootstrap.log') }));
  return join(dir, 'rootfs.tar');
}

/**
 * Puts the debootstrapped base into an engine's image store when it is not there yet, with the
 * engine wrapper vvehicle uses itself (`<engine> import`). Then `vvehicle builder --debootstrap-mirror`
 * finds it and goes on to build our Containerfile on top, as it does on a user's second run.
 */
export async function ensureBuilderBase(engine: Engine): Promise<string> {
  const tag = debootstrapBaseTag();
  if (!(await imageExists(engine, tag))) await importImage(engine, await builderBaseTarball(), tag);
  return tag;
}
