import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { licenseNames, parseLicenseManifest, summarizeLicenses } from '../../src/image/licenses.js';
import { manifestJsonSchema, manifestSchema, type Manifest } from '../../src/image/manifest-schema.js';
import { DEFAULT_UE } from '../helpers/ue.js';
import { manifestIdentity } from '../../src/image/manifest.js';
import { parsePackageList } from '../../src/image/package-list.js';
import { schemasDir } from '../../src/package-paths.js';
import { runCli } from '../helpers/cli.js';
import { manifestValidator } from '../helpers/manifest-schema.js';
import { tempDir } from '../helpers/tmp.js';
import { readManifestFile } from '../../src/image/verify.js';

// a license.manifest in the exact shape license_image.bbclass (scarthgap) writes
const LICENSE_MANIFEST = `PACKAGE NAME: busybox
PACKAGE VERSION: 1.36.1
RECIPE NAME: busybox
LICENSE: GPL-2.0-only & bzip2-1.0.4

PACKAGE NAME: libgmp10
PACKAGE VERSION: 6.3.0
RECIPE NAME: gmp
LICENSE: GPL-2.0-or-later | LGPL-3.0-or-later

PACKAGE NAME: libstdc++6
PACKAGE VERSION: 13.4.0
RECIPE NAME: gcc-runtime
LICENSE: GPL-3.0-with-GCC-exception

PACKAGE NAME: nr-ue
PACKAGE VERSION: 3.3.0
RECIPE NAME: ueransim
LICENSE: AGPL-3.0-only

PACKAGE NAME: bash
PACKAGE VERSION: 5.2.21
RECIPE NAME: bash
LICENSE: GPL-3.0-or-later

`;

const sha = (c: string) => c.repeat(64);

/** A complete manifest as `vvehicle manifest` would write it, for schema checks. */
function sampleManifest(): Manifest {
  return {
    schemaVersion: 3,
    name: 'vvehicle-gateway',
    version: '0.1.0',
    buildId: '20261128093015-0123456789ab',
    created: '2026-11-28T10:00:00.000Z',
    toolVersion: '0.1.0',
    profile: 'gateway-qemuarm64',
    configDigest: `sha256:${sha('a')}`,
    agl: { release: '21.0.2', codename: 'unagi', yoctoSeries: 'scarthgap' },
    machine: 'qemuarm64',
    image: { target: 'vvehicle-image', base: 'agl-image-minimal' },
    sources: [{ name: 'poky', url: 'https://git.yoctoproject.org/poky', branch: 'scarthgap', commit: '1d54d1c4736a114e1cecbe85a0306e3814d5ce70' }],
    builder: { imageId: null },
    artifacts: [
      { role: 'disk', path: 'vvehicle-gateway-0.1.0.qcow2', sha256: sha('b'), size: 1000, format: 'qcow2', virtualSize: 16777216, clusterSize: 65536, compat: '1.1', compressed: false, backingFormat: 'qcow2' },
      { role: 'kernel', path: 'Image', sha256: sha('c'), size: 10, format: 'arm64-image' },
    ],
    boot: { method: 'direct-kernel', kernel: 'Image', disk: 'vvehicle-gateway-0.1.0.qcow2', cmdline: 'root=/dev/vda rw console=ttyAMA0,115200n8', machine: 'virt', cpu: 'cortex-a57', memoryMiB: 2048, cpus: 2, diskBus: 'virtio-blk-pci', nic: 'virtio-net-pci' },
    identity: manifestIdentity(DEFAULT_UE),
    ue: DEFAULT_UE,
    packages: { source: null, count: 0, items: [] },
    licenses: { source: null, note: 'none', flagPatterns: ['GPL-3.0*', 'AGPL-3.0*'], packageCount: 0, byLicense: {}, flagged: [] },
    sbom: null,
    smoke: null,
    notes: [],
  };
}

describe('licence summary', () => {
  it('flags GPL-3.0* and AGPL-3.0* but not LGPL-3.0 or GPL-2.0', () => {
    const summary = summarizeLicenses(parseLicenseManifest(LICENSE_MANIFEST));
    expect(summary.packageCount).toBe(5);
    expect(summary.flagged.map((f) => [f.package, f.recipe, f.matched])).toEqual([
      ['bash', 'bash', ['GPL-3.0-or-later']],
      ['libstdc++6', 'gcc-runtime', ['GPL-3.0-with-GCC-exception']],
      ['nr-ue', 'ueransim', ['AGPL-3.0-only']],
    ]);
    expect(summary.byLicense).toEqual({
      'AGPL-3.0-only': 1,
      'bzip2-1.0.4': 1,
      'GPL-2.0-only': 1,
      'GPL-2.0-or-later': 1,
      'GPL-3.0-or-later': 1,
      'GPL-3.0-with-GCC-exception': 1,
      'LGPL-3.0-or-later': 1,
    });
  });

  it('splits licence expressions on & | and parentheses', () => {
    expect(licenseNames('GPL-2.0-only & (MIT | BSD-3-Clause) & MIT')).toEqual(['GPL-2.0-only', 'MIT', 'BSD-3-Clause']);
  });
});

describe('package list', () => {
  it('parses bitbake\'s "name arch version" lines', () => {
    expect(parsePackageList('busybox cortexa57 1.36.1\n\nnr-ue cortexa57 3.3.0+git0+6bf5a1a96a\n', 'x.manifest')).toEqual([
      { name: 'busybox', arch: 'cortexa57', version: '1.36.1' },
      { name: 'nr-ue', arch: 'cortexa57', version: '3.3.0+git0+6bf5a1a96a' },
    ]);
  });

  it('a malformed line is a user error naming file and line', () => {
    expect(() => parsePackageList('busybox cortexa57 1.36.1\nbroken line\n', 'img.manifest')).toThrow(UserError);
    expect(() => parsePackageList('busybox cortexa57 1.36.1\nbroken line\n', 'img.manifest')).toThrow('img.manifest:2: expected "name arch version"');
  });
});

describe('manifest schema', () => {
  it('the checked-in JSON Schema matches the zod schema (regenerate: node dist/cli.js manifest schema > schemas/manifest.schema.json)', () => {
    const checkedIn = JSON.parse(readFileSync(join(schemasDir, 'manifest.schema.json'), 'utf8'));
    expect(checkedIn).toEqual(manifestJsonSchema());
  });

  it('`vvehicle manifest schema` prints it', async () => {
    const { code, stdout } = await runCli(['manifest', 'schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(manifestJsonSchema());
  });

  it('a complete manifest passes both zod and the JSON Schema (ajv)', () => {
    const m = sampleManifest();
    expect(manifestSchema.safeParse(m).success).toBe(true);
    expect(manifestValidator()(m)).toEqual([]);
  });

  it('the JSON Schema rejects what fleet tools must never see', () => {
    const validate = manifestValidator();
    const bad: [string, (m: Manifest) => unknown][] = [
      ['short sha256', (m) => ({ ...m, artifacts: [{ ...m.artifacts[0]!, sha256: 'abc' }, m.artifacts[1]] })],
      ['a path leaving the directory', (m) => ({ ...m, artifacts: [m.artifacts[0], { ...m.artifacts[1]!, path: '../Image' }] })],
      ['a disk without backing format', (m) => ({ ...m, artifacts: [{ ...m.artifacts[0]!, backingFormat: undefined }, m.artifacts[1]] })],
      ['a version that is not semver', (m) => ({ ...m, version: '1.0' })],
      ['an unknown key', (m) => ({ ...m, extra: true })],
      ['schemaVersion 1', (m) => ({ ...m, schemaVersion: 1 })],
      ['no identity section', (m) => ({ ...m, identity: undefined })],
      ['a secret credential over the kernel command line', (m) => ({ ...m, identity: { ...m.identity, delivery: { ...m.identity.delivery, kernelCmdline: { parameter: 'systemd.set_credential', secrets: true } } } })],
    ];
    for (const [what, mutate] of bad) {
      const data = JSON.parse(JSON.stringify(mutate(sampleManifest())));
      expect(validate(data), what).not.toEqual([]);
      expect(manifestSchema.safeParse(data).success, what).toBe(false);
    }
  });

  it("publishes what the image's UE asks the core for (schema 3), and says so when a fleet reads an older manifest", () => {
    const m = sampleManifest();
    expect(m.ue).toMatchObject({ plmn: { mcc: '208', mnc: '93' }, amf: '8000', sessions: [{ type: 'IPv4', apn: 'internet', slice: { sst: 1, sd: '010203' } }], configuredNssai: [{ sst: 1, sd: '010203' }] });
    expect(manifestValidator()(m)).toEqual([]);
    expect(manifestValidator()({ ...m, ue: { ...m.ue, amf: '80000' } })).toContain('/ue/amf must match pattern "^[0-9a-f]{4}$"');
    const file = join(tempDir(), 'manifest.json');
    writeFileSync(file, JSON.stringify({ ...m, schemaVersion: 2, ue: undefined }));
    expect(() => readManifestFile(file)).toThrow(`${file} is a schema 2 manifest; this vvehicle reads schema 3 (it publishes what the image's UE asks the 5G core for)`);
  });

  it('zod also checks what JSON Schema cannot: one disk, one kernel, boot names them', () => {
    const m = sampleManifest();
    const twoDisks = { ...m, artifacts: [...m.artifacts, { ...m.artifacts[0]!, path: 'other.qcow2' }] };
    expect(manifestSchema.safeParse(twoDisks).error?.issues[0]?.message).toBe('must hold exactly one disk artifact');
    const wrongKernel = { ...m, boot: { ...m.boot, kernel: 'vmlinuz' } };
    expect(manifestSchema.safeParse(wrongKernel).error?.issues[0]?.message).toBe('must be the path of the kernel artifact');
  });

  it('an initramfs artifact and boot.initrd come together (both or neither)', () => {
    const m = sampleManifest();
    const initramfs = { role: 'initramfs' as const, path: 'initrd.cpio.gz', sha256: sha('d'), size: 10, format: 'cpio-archive' as const };
    const both = { ...m, artifacts: [...m.artifacts, initramfs], boot: { ...m.boot, initrd: 'initrd.cpio.gz' } };
    expect(manifestSchema.safeParse(both).success).toBe(true);
    expect(manifestValidator()(both)).toEqual([]);
    expect(manifestSchema.safeParse({ ...m, artifacts: [...m.artifacts, initramfs] }).error?.issues[0]?.message).toBe('must be the path of the initramfs artifact (both or neither)');
    expect(manifestSchema.safeParse({ ...m, boot: { ...m.boot, initrd: 'initrd.cpio.gz' } }).success).toBe(false);
  });
});
