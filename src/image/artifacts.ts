import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../errors.js';

/**
 * Finds what bitbake deployed for one image in `tmp/deploy/images/<machine>/`.
 *
 * Names, by Yocto series (IMAGE_LINK_NAME / IMAGE_NAME in bitbake.conf):
 *   scarthgap+  link `<image>-<machine>.rootfs.<ext>` → `<image>-<machine>.rootfs-<DATETIME>.<ext>`
 *   older       link `<image>-<machine>.<ext>`        → `<image>-<machine>-<DATETIME>.rootfs.<ext>`
 * The kernel is `Image`, a link to `Image--<version>-<machine>-<DATETIME>.bin`.
 * Licences live in `tmp/deploy/licenses/[<machine>/]<IMAGE_NAME>/license.manifest`.
 */
export type DeployRole = 'rootfs' | 'kernel' | 'initramfs' | 'package-manifest' | 'testdata' | 'qemuboot' | 'sbom' | 'license-manifest';

export interface FoundArtifact {
  role: DeployRole;
  /** Absolute path as found (often a link). */
  path: string;
  /** Absolute path of the real file. */
  resolved: string;
  /** bitbake DATETIME from the file name, when it carries one. */
  timestamp?: string;
}

export interface DeployArtifacts {
  deployDir: string;
  image: string;
  machine: string;
  rootfs: FoundArtifact;
  kernel: FoundArtifact;
  initramfs?: FoundArtifact;
  packageManifest?: FoundArtifact;
  testdata?: FoundArtifact;
  qemuboot?: FoundArtifact;
  sbom?: FoundArtifact;
  licenseManifest?: FoundArtifact;
  /** What optional artifacts were not found, and why, in words for the manifest and the user. */
  notes: string[];
}

const DATETIME = '(\\d{14})';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Pattern {
  /** Names that are links bitbake keeps pointing at the latest build. */
  links: string[];
  /** Timestamped names; the first group is the DATETIME. */
  stamped: RegExp[];
  /** How to describe the timestamped names in messages. */
  stampedHint: string[];
}

/** The names bitbake gives `<image>-<machine>` files with extension `ext`, newest naming first. */
export function imageFilePattern(image: string, machine: string, ext: string): Pattern {
  const base = `${image}-${machine}`;
  const b = escape(base);
  const e = escape(ext);
  return {
    links: [`${base}.rootfs.${ext}`, `${base}.${ext}`],
    stamped: [new RegExp(`^${b}\\.rootfs-${DATETIME}\\.${e}$`), new RegExp(`^${b}-${DATETIME}\\.rootfs\\.${e}$`)],
    stampedHint: [`${base}.rootfs-<DATETIME>.${ext}`, `${base}-<DATETIME>.rootfs.${ext}`],
  };
}

export function kernelPattern(machine: string): Pattern {
  return {
    links: ['Image', `Image-${machine}.bin`],
    stamped: [new RegExp(`^Image-.*-${escape(machine)}-${DATETIME}\\.bin$`)],
    stampedHint: [`Image-<version>-${machine}-<DATETIME>.bin`],
  };
}

type Lookup = { kind: 'found'; artifact: FoundArtifact } | { kind: 'missing'; lookedFor: string[] } | { kind: 'ambiguous'; candidates: string[] };

/**
 * Links win (bitbake points them at the newest build); several links to different files, or
 * several timestamped builds and no link, is ambiguous — unless `preferStamp` (the rootfs's
 * DATETIME) picks the file of the same build.
 */
export function lookup(dir: string, names: string[], role: DeployRole, pattern: Pattern, preferStamp?: string): Lookup {
  const lookedFor = [...pattern.links, ...pattern.stampedHint];
  const stampOf = (name: string) => pattern.stamped.map((re) => re.exec(name)?.[1]).find((s) => s !== undefined);
  const linked = pattern.links.filter((n) => names.includes(n)).map((n) => join(dir, n));
  const live = linked.filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile());
  if (live.length) {
    const targets = [...new Set(live.map((p) => realpathSync(p)))];
    if (targets.length > 1) return { kind: 'ambiguous', candidates: live.map((p) => `${basename(p)} → ${realpathSync(p)}`) };
    const resolved = targets[0]!;
    const timestamp = stampOf(basename(resolved));
    return { kind: 'found', artifact: { role, path: live[0]!, resolved, ...(timestamp ? { timestamp } : {}) } };
  }
  const stamped = names.filter((n) => stampOf(n) !== undefined && statSync(join(dir, n), { throwIfNoEntry: false })?.isFile());
  const same = preferStamp ? stamped.filter((n) => stampOf(n) === preferStamp) : [];
  const pick = same.length === 1 ? same : stamped;
  if (pick.length === 1) {
    const path = join(dir, pick[0]!);
    return { kind: 'found', artifact: { role, path, resolved: realpathSync(path), timestamp: stampOf(pick[0]!)! } };
  }
  if (pick.length > 1) return { kind: 'ambiguous', candidates: pick.sort() };
  const dangling = linked.map((p) => `${basename(p)} (${existsSync(p) ? 'not a regular file' : 'a link to a file that does not exist'})`);
  return { kind: 'missing', lookedFor: dangling.length ? [...dangling, ...pattern.stampedHint] : lookedFor };
}

function required(result: Lookup, what: string, dir: string): FoundArtifact {
  if (result.kind === 'found') return result.artifact;
  if (result.kind === 'ambiguous') {
    throw new UserError(
      `several candidates for the ${what} in ${dir}:\n  ${result.candidates.join('\n  ')}`,
      'remove the builds you do not want, or let bitbake recreate the link to the newest one, then rerun',
    );
  }
  throw new UserError(
    `no ${what} in ${dir}; looked for:\n  ${result.lookedFor.join('\n  ')}`,
    'check --image and --deploy-dir (or image.target in the config), and that bitbake finished the image',
  );
}

function optional(result: Lookup, what: string, dir: string, notes: string[]): FoundArtifact | undefined {
  if (result.kind === 'found') return result.artifact;
  if (result.kind === 'ambiguous') notes.push(`${what}: several candidates and none of the rootfs's build, left out: ${result.candidates.join(', ')}`);
  else notes.push(`${what}: not found in ${dir} (looked for ${result.lookedFor.join(', ')})`);
  return undefined;
}

export interface DiscoverOptions {
  deployDir: string;
  image: string;
  machine: string;
  /** Root filesystem type to convert (AGL qemu images are ext4). */
  fstype?: string;
  /** A file in the deploy dir the config names (image.initramfs): required when named. */
  initramfs?: string;
}

export function discoverArtifacts({ deployDir, image, machine, fstype = 'ext4', initramfs: initramfsName }: DiscoverOptions): DeployArtifacts {
  const dir = resolve(deployDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`deploy directory ${dir} does not exist`, 'run `vvehicle build` first, or pass --deploy-dir <bitbake tmp/deploy/images/<machine>>');
  }
  const names = readdirSync(dir);
  const notes: string[] = [];
  const rootfs = required(lookup(dir, names, 'rootfs', imageFilePattern(image, machine, fstype)), `${fstype} root filesystem of ${image}`, dir);
  const stamp = rootfs.timestamp;
  // the kernel has its own DATETIME (it is deployed by its own recipe): only the link or a single build count
  const kernel = required(lookup(dir, names, 'kernel', kernelPattern(machine)), 'kernel Image', dir);
  const initramfs = initramfsName === undefined ? undefined : namedFile(dir, initramfsName, 'initramfs');
  const find = (role: DeployRole, ext: string, what: string) => optional(lookup(dir, names, role, imageFilePattern(image, machine, ext), stamp), what, dir, notes);
  const packageManifest = find('package-manifest', 'manifest', 'package manifest (.manifest)');
  const testdata = find('testdata', 'testdata.json', 'test data (.testdata.json)');
  const qemuboot = find('qemuboot', 'qemuboot.conf', 'QEMU boot settings (.qemuboot.conf)');
  const sbomNotes: string[] = [];
  // scarthgap deploys an SPDX 2.2 archive; SPDX 3 (styhead+) deploys one JSON-LD document
  const sbom =
    optional(lookup(dir, names, 'sbom', imageFilePattern(image, machine, 'spdx.tar.zst'), stamp), 'SBOM', dir, sbomNotes) ??
    optional(lookup(dir, names, 'sbom', imageFilePattern(image, machine, 'spdx.json'), stamp), 'SBOM', dir, sbomNotes);
  if (!sbom) notes.push(`SBOM: not found in ${dir} (looked for ${image}-${machine}.rootfs.spdx.tar.zst and .spdx.json; add INHERIT += "create-spdx")`);
  const licenseManifest = findLicenseManifest(dir, image, machine, stamp, notes);
  return {
    deployDir: dir,
    image,
    machine,
    rootfs,
    kernel,
    ...(initramfs ? { initramfs } : {}),
    ...(packageManifest ? { packageManifest } : {}),
    ...(testdata ? { testdata } : {}),
    ...(qemuboot ? { qemuboot } : {}),
    ...(sbom ? { sbom } : {}),
    ...(licenseManifest ? { licenseManifest } : {}),
    notes,
  };
}

/**
 * `<deploy>/../../licenses/` is bitbake's LICENSE_DIRECTORY. scarthgap keeps an image's licences in
 * `<machine>/<IMAGE_NAME>/` with an `<IMAGE_LINK_NAME>` link; older series in `<IMAGE_NAME>/`.
 * The directory of the rootfs's own build is preferred; absence is normal (not every build keeps it).
 */
function findLicenseManifest(deployDir: string, image: string, machine: string, stamp: string | undefined, notes: string[]): FoundArtifact | undefined {
  const licensesDir = resolve(deployDir, '..', '..', 'licenses');
  const base = `${image}-${machine}`;
  const b = escape(base);
  const nameRes = [new RegExp(`^${b}\\.rootfs(?:-${DATETIME})?$`), new RegExp(`^${b}-${DATETIME}$`)];
  const candidates: { path: string; stamp?: string }[] = [];
  for (const parent of [join(licensesDir, machine), licensesDir]) {
    if (!existsSync(parent) || !statSync(parent).isDirectory()) continue;
    for (const name of readdirSync(parent)) {
      const match = nameRes.map((re) => re.exec(name)).find((m) => m !== null);
      const manifest = join(parent, name, 'license.manifest');
      if (match && existsSync(manifest)) candidates.push({ path: manifest, ...(match[1] ? { stamp: match[1] } : {}) });
    }
  }
  const real = new Map<string, { path: string; stamp?: string }>();
  for (const c of candidates) {
    const r = realpathSync(c.path);
    const known = real.get(r);
    // a link dir (no stamp) and its target are the same file: keep the stamped name
    if (!known || (!known.stamp && c.stamp)) real.set(r, c);
  }
  const unique = [...real.entries()].map(([resolved, c]) => ({ ...c, resolved }));
  const same = stamp ? unique.filter((c) => c.stamp === stamp) : [];
  const pick = same.length === 1 ? same : unique.length === 1 ? unique : [];
  if (pick.length === 1) {
    const c = pick[0]!;
    return { role: 'license-manifest', path: c.path, resolved: c.resolved, ...(c.stamp ? { timestamp: c.stamp } : {}) };
  }
  notes.push(
    unique.length > 1
      ? `licence manifest: several in ${licensesDir} and none of the rootfs's build: ${unique.map((c) => c.path).join(', ')}`
      : `licence manifest: not found (looked for ${licensesDir}/{${machine}/,}${base}.rootfs*/license.manifest)`,
  );
  return undefined;
}

/** A file the config names exactly (no pattern): it must be there, as a file or a link to one. */
function namedFile(dir: string, name: string, role: DeployRole): FoundArtifact {
  const path = join(dir, name);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
    throw new UserError(`${role} ${name} is not in ${dir}${existsSync(path) ? ' as a file' : ''}`, 'check image.initramfs in the config: a file name in the deploy dir, e.g. the INITRAMFS_IMAGE link bitbake deployed');
  }
  return { role, path, resolved: realpathSync(path) };
}
