import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debootstrapBaseTag, debootstrapRootfsTarball } from '../../src/build/builder-image.js';
import { imageExists, importImage, type Engine } from '../../src/tools/engine.js';
import { cachedDir } from './fixtures/cache.js';

/** The Debian mirror this machine's apt uses (deb822 sources), for debootstrap. */
export function debianMirror(): string {
  const text = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
  const stanza = text.split(/\n\s*\n/).find((s) => /^Suites:.*\bbookworm\b/m.test(s) && !/security/.test(s));
  const uri = stanza && /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
  if (!uri) throw new Error('no bookworm mirror in /etc/apt/sources.list.d/debian.sources');
  return uri;
}

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
