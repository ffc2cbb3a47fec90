/**
 * Licence summary from bitbake's license.manifest (license_image.bbclass): blocks of
 * `PACKAGE NAME:`, `PACKAGE VERSION:`, `RECIPE NAME:`, `LICENSE:` separated by blank lines.
 * The fleet must know about copyleft-3 code it ships (UERANSIM ≥ 3.2.8 is AGPL-3.0-only).
 */
export const FLAG_PATTERNS = ['GPL-3.0*', 'AGPL-3.0*'];
// a licence name starting with GPL-3.0 or AGPL-3.0 (LGPL-3.0 is a different, weaker licence)
const FLAGGED = /^A?GPL-3\.0/;

export interface LicensedPackage {
  package: string;
  version: string;
  recipe: string;
  license: string;
}

export interface LicenseSummary {
  packageCount: number;
  byLicense: Record<string, number>;
  flagged: (LicensedPackage & { matched: string[] })[];
}

export function parseLicenseManifest(text: string): LicensedPackage[] {
  return text
    .split(/\n\s*\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const at = line.indexOf(': ');
        if (at > 0) fields.set(line.slice(0, at).trim(), line.slice(at + 2).trim());
      }
      return fields;
    })
    .filter((f) => f.has('PACKAGE NAME') && f.has('LICENSE'))
    .map((f) => ({
      package: f.get('PACKAGE NAME')!,
      version: f.get('PACKAGE VERSION') ?? '',
      recipe: f.get('RECIPE NAME') ?? '',
      license: f.get('LICENSE')!,
    }));
}

/** The licence names in an expression such as `GPL-2.0-only & (MIT | BSD-3-Clause)`. */
export function licenseNames(expression: string): string[] {
  return [...new Set(expression.split(/[\s&|()]+/).filter(Boolean))];
}

export function summarizeLicenses(packages: LicensedPackage[]): LicenseSummary {
  const byLicense: Record<string, number> = {};
  const flagged: LicenseSummary['flagged'] = [];
  for (const p of packages) {
    const names = licenseNames(p.license);
    for (const n of names) byLicense[n] = (byLicense[n] ?? 0) + 1;
    const matched = names.filter((n) => FLAGGED.test(n));
    if (matched.length) flagged.push({ ...p, matched });
  }
  return {
    packageCount: packages.length,
    byLicense: Object.fromEntries(Object.entries(byLicense).sort(([a], [b]) => a.localeCompare(b))),
    flagged: flagged.sort((a, b) => a.package.localeCompare(b.package)),
  };
}
