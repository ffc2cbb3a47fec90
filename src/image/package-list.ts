import { UserError } from '../errors.js';

/** One installed package, from bitbake's image `.manifest` (one `name arch version` per line). */
export interface InstalledPackage {
  name: string;
  arch: string;
  version: string;
}

export function parsePackageList(text: string, file: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const fields = line.split(/\s+/);
    if (fields.length !== 3) {
      throw new UserError(`${file}:${index + 1}: expected "name arch version", got "${line}"`, 'is this the image .manifest bitbake wrote?');
    }
    const [name, arch, version] = fields as [string, string, string];
    packages.push({ name, arch, version });
  });
  return packages;
}
