import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { run, type RunOptions } from '../exec.js';
import { sha256Hex } from '../plan/digest.js';
import { buildImage, imageExists, imageId, importImage, pullImage, type Engine } from '../tools/engine.js';
import { BUILDER_GID, BUILDER_UID, CONTAINER_HOME } from './container-argv.js';
import { writeFileAtomic } from '../files/atomic.js';
import { renderTemplate } from '../templates.js';

/**
 * The Yocto scarthgap host packages for Debian 12, plus what the image itself needs (locales, tini) and screen:
 * without a display OE_TERMINAL "auto" picks screen for `bitbake -c devshell`, and knotty attaches it to the
 * user's terminal (`vvehicle bitbake -- -c devshell <recipe>` on a TTY).
 */
export const HOST_PACKAGES = [
  'gawk', 'wget', 'git', 'diffstat', 'unzip', 'texinfo', 'gcc', 'build-essential', 'chrpath', 'socat', 'cpio',
  'python3', 'python3-pip', 'python3-pexpect', 'xz-utils', 'debianutils', 'iputils-ping', 'python3-git',
  'python3-jinja2', 'python3-subunit', 'zstd', 'liblz4-tool', 'file', 'locales', 'libacl1',
  'ca-certificates', 'tini', 'screen',
] as const;

export const DEFAULT_BASE = 'docker.io/library/debian:bookworm';
export const SUITE = 'bookworm';


/**
 * What our Containerfile is built FROM: an image pulled from a registry (the Containerfile then
 * installs the Yocto host packages with apt), or a base bootstrapped here from a Debian mirror with
 * the packages already in (no registry needed: air-gapped hosts, CI without Docker Hub).
 */
export type BuilderBase = { image: string } | { debootstrapMirror: string };

export const DEFAULT_BUILDER_BASE: BuilderBase = { image: DEFAULT_BASE };

export interface BuilderRecord {
  image: string;
  id: string;
  engine: string;
  /** How the image came to be: built here (our Containerfile) or given in build.image. */
  source: 'containerfile' | 'debootstrap+containerfile' | 'given';
  /** What it was built from (absent for build.image, and in records of older versions). */
  base?: BuilderBase;
}

/**
 * Which base a run builds from: --debootstrap-mirror, else build.builderBase, else the base of the
 * builder recorded in the work dir (so `builder --debootstrap-mirror M` is remembered by later
 * `check`/`build` runs instead of them trying a registry), else debian:bookworm from a registry.
 */
export function resolveBuilderBase(flagMirror: string | undefined, configured: BuilderBase | undefined, recorded: BuilderRecord | undefined): BuilderBase {
  if (flagMirror) return { debootstrapMirror: flagMirror };
  if (configured) return configured;
  if (recorded?.source !== 'given' && recorded?.base) return recorded.base;
  return DEFAULT_BUILDER_BASE;
}

/** The image our Containerfile starts FROM, and the Containerfile itself. */
export function containerfileFor(base: BuilderBase): { from: string; containerfile: string } {
  const from = 'image' in base ? base.image : debootstrapBaseTag();
  return { from, containerfile: renderContainerfile(from, 'image' in base) };
}

export function renderContainerfile(base: string, installPackages: boolean): string {
  return renderTemplate('Containerfile.hbs', {
    base,
    installPackages,
    packages: HOST_PACKAGES.join(' '),
    uid: BUILDER_UID,
    gid: BUILDER_GID,
    home: CONTAINER_HOME,
    yoctoSeries: 'scarthgap',
  });
}

export function builderTag(containerfile: string): string {
  return `localhost/vvehicle-builder:${sha256Hex(containerfile).slice(0, 12)}`;
}

/** The imported base depends only on the suite and the package list (not on which mirror served them). */
export function debootstrapBaseTag(): string {
  return `localhost/vvehicle-builder-base:${SUITE}-${sha256Hex(`${SUITE}\n${HOST_PACKAGES.join(',')}`).slice(0, 12)}`;
}

export interface BuilderInput {
  engine: Engine;
  workDir: string;
  /** build.image: use this image as given. */
  givenImage?: string;
  /** What our Containerfile builds FROM (see resolveBuilderBase). */
  base: BuilderBase;
  log: RunOptions;
  progress: (text: string) => void;
}

/** Makes sure the builder image exists and writes <work>/builder.json with its id. */
export async function prepareBuilder(input: BuilderInput): Promise<BuilderRecord> {
  const { engine } = input;
  let record: Omit<BuilderRecord, 'id'>;
  if (input.givenImage) {
    if (!(await imageExists(engine, input.givenImage))) {
      input.progress(`pulling ${input.givenImage}`);
      await pullImage(engine, input.givenImage, input.log).catch((e: Error) => {
        throw new UserError(`cannot pull build.image ${input.givenImage}: ${e.message}`, 'pull or load it yourself, or drop build.image to build vvehicle\'s own image');
      });
    }
    record = { image: input.givenImage, engine: engine.name, source: 'given' };
  } else {
    const { from, containerfile } = containerfileFor(input.base);
    if ('debootstrapMirror' in input.base && !(await imageExists(engine, from))) await debootstrapBase(input, input.base.debootstrapMirror, from);
    const tag = builderTag(containerfile);
    if (!(await imageExists(engine, tag))) {
      input.progress(`building ${tag}`);
      const context = mkdtempSync(join(tmpdir(), 'vvehicle-builder-'));
      try {
        writeFileSync(join(context, 'Containerfile'), containerfile);
        await buildImage(engine, tag, join(context, 'Containerfile'), context, input.log);
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
    }
    record = { image: tag, engine: engine.name, source: 'debootstrapMirror' in input.base ? 'debootstrap+containerfile' : 'containerfile', base: input.base };
  }
  const full: BuilderRecord = { ...record, id: await imageId(engine, record.image, input.log) };
  writeFileAtomic(join(input.workDir, 'builder.json'), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/** debootstrap → tar → `<engine> import`. Needs root. */
async function debootstrapBase(input: BuilderInput, mirror: string, tag: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new UserError('a debootstrapped builder base needs root (debootstrap creates device nodes and chroots)', 'run `sudo vvehicle builder --debootstrap-mirror URL` once; the imported image is then reused');
  }
  const tarball = join(mkdtempSync(join(tmpdir(), 'vvehicle-debootstrap-')), 'rootfs.tar');
  try {
    input.progress(`debootstrap ${SUITE} from ${mirror} (a few minutes)`);
    await debootstrapRootfsTarball(mirror, tarball, input.log);
    input.progress(`importing ${tag}`);
    await importImage(input.engine, tarball, tag, input.log);
  } finally {
    rmSync(dirname(tarball), { recursive: true, force: true });
  }
}

/** debootstrap bookworm minbase with the Yocto host packages into a rootfs tarball (what `<engine> import` takes). */
export async function debootstrapRootfsTarball(mirror: string, tarball: string, log: RunOptions): Promise<void> {
  const dir = mkdtempSync(join(dirname(tarball), 'rootfs-'));
  try {
    await run('debootstrap', ['--variant=minbase', `--include=${HOST_PACKAGES.join(',')}`, SUITE, dir, mirror], log);
    // a Containerfile RUN must not reach the network: apt lists are not needed, caches are dead weight
    await run('tar', ['--numeric-owner', '--exclude=./var/cache/apt/archives/*.deb', '-C', dir, '-cf', tarball, '.'], log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
