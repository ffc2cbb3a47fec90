import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A bitbake-shaped deploy tree made with real tools: `<top>/tmp/deploy/images/<machine>/` holding an
 * ext4 made by mkfs.ext4 -d, a kernel, the image's .manifest, .testdata.json, .qemuboot.conf, an
 * SPDX archive, and `<top>/tmp/deploy/licenses/<machine>/<IMAGE_NAME>/license.manifest`, named the way
 * scarthgap (or an older series) names them.
 */
export interface DeployDirOptions {
  image?: string;
  machine?: string;
  naming?: 'scarthgap' | 'legacy';
  /** One DATETIME per build present; the links point at the last one. */
  stamps?: string[];
  links?: boolean;
  /** Use these files instead of the generated rootfs/kernel (e.g. a bootable fixture). */
  rootfsExt4?: string;
  kernel?: string;
  packages?: { name: string; arch: string; version: string }[];
  licenses?: { pkg: string; version: string; recipe: string; license: string }[];
  withLicenses?: boolean;
  /** Write `<top>/buildhistory/packages/…` records for `licenses` (recipe LICENSE, package PV/PKG). */
  buildhistory?: boolean;
  withSbom?: boolean;
  /** Size of the generated ext4. */
  sizeMiB?: number;
}

export interface DeployDir {
  top: string;
  deployDir: string;
  image: string;
  machine: string;
  rootfsName: (stamp?: string) => string;
}

export const DEFAULT_PACKAGES = [
  { name: 'base-files', arch: 'qemuarm64', version: '3.0.14' },
  { name: 'busybox', arch: 'cortexa57', version: '1.36.1' },
  { name: 'nr-ue', arch: 'cortexa57', version: '3.3.0' },
  { name: 'systemd', arch: 'cortexa57', version: '255.21' },
];

export const DEFAULT_LICENSES = [
  { pkg: 'base-files', version: '3.0.14', recipe: 'base-files', license: 'GPL-2.0-only' },
  { pkg: 'busybox', version: '1.36.1', recipe: 'busybox', license: 'GPL-2.0-only & bzip2-1.0.4' },
  { pkg: 'nr-ue', version: '3.3.0', recipe: 'ueransim', license: 'AGPL-3.0-only' },
  { pkg: 'systemd', version: '255.21', recipe: 'systemd', license: 'LGPL-2.1-or-later & GPL-2.0-only' },
  { pkg: 'libstdc++6', version: '13.4.0', recipe: 'gcc-runtime', license: 'GPL-3.0-with-GCC-exception' },
  { pkg: 'libgmp10', version: '6.3.0', recipe: 'gmp', license: 'GPL-2.0-or-later | LGPL-3.0-or-later' },
];

export function makeDeployDir(top: string, options: DeployDirOptions = {}): DeployDir {
  const image = options.image ?? 'vvehicle-image';
  const machine = options.machine ?? 'qemuarm64';
  const naming = options.naming ?? 'scarthgap';
  const stamps = options.stamps ?? ['20261128093015'];
  const links = options.links ?? true;
  const base = `${image}-${machine}`;
  const deployDir = join(top, 'tmp/deploy/images', machine);
  mkdirSync(deployDir, { recursive: true });
  const stamped = (stamp: string, ext: string) => (naming === 'scarthgap' ? `${base}.rootfs-${stamp}.${ext}` : `${base}-${stamp}.rootfs.${ext}`);
  const linkName = (ext: string) => (naming === 'scarthgap' ? `${base}.rootfs.${ext}` : `${base}.${ext}`);

  const rootDir = join(top, 'rootfs-src');
  mkdirSync(join(rootDir, 'etc'), { recursive: true });
  writeFileSync(join(rootDir, 'etc/os-release'), 'ID=agl\nNAME="Automotive Grade Linux"\nVERSION_ID=21.0.2\n');
  writeFileSync(join(rootDir, 'etc/random.bin'), Buffer.alloc(256 * 1024, 7));

  for (const stamp of stamps) {
    const ext4 = join(deployDir, stamped(stamp, 'ext4'));
    if (options.rootfsExt4) copyFileSync(options.rootfsExt4, ext4);
    else {
      writeFileSync(join(rootDir, 'etc/build-stamp'), `${stamp}\n`);
      execFileSync('mkfs.ext4', ['-q', '-F', '-d', rootDir, ext4, `${options.sizeMiB ?? 16}M`], { stdio: 'pipe' });
    }
    const packages = options.packages ?? DEFAULT_PACKAGES;
    writeFileSync(join(deployDir, stamped(stamp, 'manifest')), packages.map((p) => `${p.name} ${p.arch} ${p.version}\n`).join(''));
    writeFileSync(join(deployDir, stamped(stamp, 'testdata.json')), JSON.stringify({ MACHINE: machine, DISTRO: 'agl', DATETIME: stamp }, null, 2));
    writeFileSync(join(deployDir, stamped(stamp, 'qemuboot.conf')), `[config_bsp]\nqb_machine = -machine virt\nqb_cpu = -cpu cortex-a57\nqb_mem = -m 2048\nqb_default_kernel = Image\n`);
    if (options.withSbom ?? true) writeFileSync(join(deployDir, stamped(stamp, 'spdx.tar.zst')), Buffer.from(`not really zstd, an opaque SBOM archive ${stamp}\n`));
    if (options.withLicenses ?? true) {
      const imageName = naming === 'scarthgap' ? `${base}.rootfs-${stamp}` : `${base}-${stamp}`;
      const licDir = naming === 'scarthgap' ? join(top, 'tmp/deploy/licenses', machine, imageName) : join(top, 'tmp/deploy/licenses', imageName);
      mkdirSync(licDir, { recursive: true });
      writeFileSync(
        join(licDir, 'license.manifest'),
        (options.licenses ?? DEFAULT_LICENSES).map((l) => `PACKAGE NAME: ${l.pkg}\nPACKAGE VERSION: ${l.version}\nRECIPE NAME: ${l.recipe}\nLICENSE: ${l.license}\n\n`).join(''),
      );
    }
  }
  if (options.buildhistory) {
    // the shape buildhistory.bbclass writes; debian renaming keeps the recipe's package name as the dir
    const renamed: Record<string, string> = { 'libstdc++6': 'libstdc++', libgmp10: 'libgmp' };
    for (const l of options.licenses ?? DEFAULT_LICENSES) {
      const recipeDir = join(top, 'buildhistory/packages/cortexa57-agl-linux', l.recipe);
      const pkgDir = join(recipeDir, renamed[l.pkg] ?? l.pkg);
      mkdirSync(pkgDir, { recursive: true });
      writeFileSync(join(recipeDir, 'latest'), `PV = ${l.version}\nPR = r0\nDEPENDS = \nPACKAGES = ${l.pkg}\nLAYER = meta\nLICENSE = ${l.license}\n`);
      writeFileSync(join(pkgDir, 'latest'), `PV = ${l.version}\nPR = r0\n${renamed[l.pkg] ? `PKG = ${l.pkg}\n` : ''}RPROVIDES = \nRDEPENDS = \nPKGSIZE = 1024\n`);
    }
  }
  const kernelFile = `Image--6.6.111+git0+abcdef-r0-${machine}-${stamps.at(-1)}.bin`;
  if (options.kernel) copyFileSync(options.kernel, join(deployDir, kernelFile));
  else writeFileSync(join(deployDir, kernelFile), Buffer.concat([Buffer.from('ARMd'), Buffer.alloc(64 * 1024, 1)]));
  if (links) {
    const last = stamps.at(-1)!;
    for (const ext of ['ext4', 'manifest', 'testdata.json', 'qemuboot.conf', ...(options.withSbom ?? true ? ['spdx.tar.zst'] : [])]) {
      symlinkSync(stamped(last, ext), join(deployDir, linkName(ext)));
    }
    symlinkSync(kernelFile, join(deployDir, 'Image'));
    if ((options.withLicenses ?? true) && naming === 'scarthgap') {
      symlinkSync(join(top, 'tmp/deploy/licenses', machine, `${base}.rootfs-${last}`), join(top, 'tmp/deploy/licenses', machine, `${base}.rootfs`));
    }
  }
  return { top, deployDir, image, machine, rootfsName: (stamp = stamps.at(-1)!) => stamped(stamp, 'ext4') };
}
