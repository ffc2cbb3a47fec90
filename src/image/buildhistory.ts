import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LicensedPackage } from './licenses.js';

/**
 * Licences from bitbake's buildhistory, for builds whose license.manifest is gone: the recipe's
 * `packages/<arch>/<recipe>/latest` has `LICENSE = …`, each package a `<pkg>/latest` with its
 * version and, when debian renaming changed its name, `PKG = <name in the image>`.
 */
export function buildhistoryDirFor(deployDir: string): string {
  // deploy dir is <TOPDIR>/tmp/deploy/images/<machine>; BUILDHISTORY_DIR ?= "${TOPDIR}/buildhistory"
  return resolve(deployDir, '..', '..', '..', '..', 'buildhistory');
}

function fields(file: string): Map<string, string> {
  const map = new Map<string, string>();
  if (!existsSync(file)) return map;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = line.indexOf(' = ');
    if (at > 0) map.set(line.slice(0, at), line.slice(at + 3));
  }
  return map;
}

const dirsIn = (dir: string) => readdirSync(dir).filter((n) => statSync(join(dir, n), { throwIfNoEntry: false })?.isDirectory());

/** The licences of `packages` (names as the image .manifest lists them); undefined without buildhistory. */
export function licensesFromBuildhistory(buildhistoryDir: string, packages: string[]): { found: LicensedPackage[]; missing: string[] } | undefined {
  const root = join(buildhistoryDir, 'packages');
  if (!existsSync(root)) return undefined;
  const index = new Map<string, LicensedPackage>();
  for (const arch of dirsIn(root)) {
    for (const recipe of dirsIn(join(root, arch))) {
      const license = fields(join(root, arch, recipe, 'latest')).get('LICENSE');
      if (!license) continue;
      for (const pkg of dirsIn(join(root, arch, recipe))) {
        const f = fields(join(root, arch, recipe, pkg, 'latest'));
        if (!f.size) continue;
        const entry = { package: f.get('PKG') ?? pkg, version: f.get('PKGV') ?? f.get('PV') ?? '', recipe, license };
        index.set(entry.package, entry);
      }
    }
  }
  const found: LicensedPackage[] = [];
  const missing: string[] = [];
  for (const name of packages) {
    const entry = index.get(name);
    if (entry) found.push(entry);
    else missing.push(name);
  }
  return { found, missing };
}
