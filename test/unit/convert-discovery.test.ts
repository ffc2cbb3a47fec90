import { renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverArtifacts } from '../../src/image/artifacts.js';
import { UserError } from '../../src/errors.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { tempDir } from '../helpers/tmp.js';

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('deploy dir discovery', () => {
  it('follows the scarthgap links to the timestamped files of one build', () => {
    const d = makeDeployDir(tempDir());
    const found = discoverArtifacts(d);
    expect(found.rootfs.path).toBe(join(d.deployDir, 'vvehicle-image-qemuarm64.rootfs.ext4'));
    expect(found.rootfs.resolved).toBe(join(d.deployDir, 'vvehicle-image-qemuarm64.rootfs-20261128093015.ext4'));
    expect(found.rootfs.timestamp).toBe('20261128093015');
    expect(found.kernel.path).toBe(join(d.deployDir, 'Image'));
    expect(found.kernel.resolved).toMatch(/Image--6\.6\.111.*-qemuarm64-20261128093015\.bin$/);
    expect(found.packageManifest?.resolved).toMatch(/\.rootfs-20261128093015\.manifest$/);
    expect(found.testdata?.resolved).toMatch(/\.rootfs-20261128093015\.testdata\.json$/);
    expect(found.qemuboot?.resolved).toMatch(/\.rootfs-20261128093015\.qemuboot\.conf$/);
    expect(found.sbom?.resolved).toMatch(/\.rootfs-20261128093015\.spdx\.tar\.zst$/);
    expect(found.licenseManifest?.resolved).toBe(join(d.top, 'tmp/deploy/licenses/qemuarm64/vvehicle-image-qemuarm64.rootfs-20261128093015/license.manifest'));
    expect(found.notes).toEqual([]);
  });

  it('takes the initramfs the config names (image.initramfs), following its link, and refuses a missing one', () => {
    const d = makeDeployDir(tempDir());
    writeFileSync(join(d.deployDir, 'vvehicle-initramfs-qemuarm64-20261128093015.cpio.gz'), 'cpio');
    symlinkSync('vvehicle-initramfs-qemuarm64-20261128093015.cpio.gz', join(d.deployDir, 'vvehicle-initramfs-qemuarm64.cpio.gz'));
    const found = discoverArtifacts({ ...d, initramfs: 'vvehicle-initramfs-qemuarm64.cpio.gz' });
    expect(found.initramfs?.resolved).toBe(join(d.deployDir, 'vvehicle-initramfs-qemuarm64-20261128093015.cpio.gz'));
    expect(discoverArtifacts(d).initramfs).toBeUndefined();
    expect(errorOf(() => discoverArtifacts({ ...d, initramfs: 'initrd.cpio.gz' })).message).toBe(`initramfs initrd.cpio.gz is not in ${d.deployDir}`);
  });

  it('takes the single timestamped build when the links are gone', () => {
    const d = makeDeployDir(tempDir(), { links: false });
    const found = discoverArtifacts(d);
    expect(found.rootfs.path).toBe(join(d.deployDir, 'vvehicle-image-qemuarm64.rootfs-20261128093015.ext4'));
    expect(found.kernel.resolved).toMatch(/-qemuarm64-20261128093015\.bin$/);
    expect(found.licenseManifest?.timestamp).toBe('20261128093015');
  });

  it('tolerates the older <image>-<machine>.<ext> naming', () => {
    const d = makeDeployDir(tempDir(), { naming: 'legacy' });
    const found = discoverArtifacts(d);
    expect(found.rootfs.path).toBe(join(d.deployDir, 'vvehicle-image-qemuarm64.ext4'));
    expect(found.rootfs.resolved).toBe(join(d.deployDir, 'vvehicle-image-qemuarm64-20261128093015.rootfs.ext4'));
    expect(found.packageManifest?.path).toBe(join(d.deployDir, 'vvehicle-image-qemuarm64.manifest'));
    expect(found.licenseManifest?.resolved).toBe(join(d.top, 'tmp/deploy/licenses/vvehicle-image-qemuarm64-20261128093015/license.manifest'));
  });

  it('with several builds the links pick the newest, and side files come from the same build', () => {
    const d = makeDeployDir(tempDir(), { stamps: ['20261127080000', '20261128093015'] });
    const found = discoverArtifacts(d);
    expect(found.rootfs.timestamp).toBe('20261128093015');
    expect(found.licenseManifest?.timestamp).toBe('20261128093015');
  });

  it('several timestamped builds and no link is ambiguous, and the message lists them', () => {
    const d = makeDeployDir(tempDir(), { stamps: ['20261127080000', '20261128093015'], links: false });
    const error = errorOf(() => discoverArtifacts(d));
    expect(error.message).toContain('several candidates for the ext4 root filesystem of vvehicle-image');
    expect(error.message).toContain('vvehicle-image-qemuarm64.rootfs-20261127080000.ext4');
    expect(error.message).toContain('vvehicle-image-qemuarm64.rootfs-20261128093015.ext4');
  });

  it('two links to different builds are ambiguous', () => {
    const d = makeDeployDir(tempDir(), { stamps: ['20261127080000', '20261128093015'] });
    symlinkSync(d.rootfsName('20261127080000'), join(d.deployDir, 'vvehicle-image-qemuarm64.ext4'));
    const error = errorOf(() => discoverArtifacts(d));
    expect(error.message).toMatch(/vvehicle-image-qemuarm64\.rootfs\.ext4 → .*20261128093015/);
    expect(error.message).toMatch(/vvehicle-image-qemuarm64\.ext4 → .*20261127080000/);
  });

  it('a missing rootfs names every file name it looked for', () => {
    const d = makeDeployDir(tempDir());
    const error = errorOf(() => discoverArtifacts({ ...d, image: 'agl-image-minimal' }));
    expect(error.message).toContain('no ext4 root filesystem of agl-image-minimal in');
    for (const name of [
      'agl-image-minimal-qemuarm64.rootfs.ext4',
      'agl-image-minimal-qemuarm64.ext4',
      'agl-image-minimal-qemuarm64.rootfs-<DATETIME>.ext4',
      'agl-image-minimal-qemuarm64-<DATETIME>.rootfs.ext4',
    ]) {
      expect(error.message).toContain(name);
    }
    expect(error.hint).toContain('--image');
  });

  it('a link whose target was deleted is reported as such', () => {
    const d = makeDeployDir(tempDir());
    rmSync(join(d.deployDir, d.rootfsName()));
    const error = errorOf(() => discoverArtifacts(d));
    expect(error.message).toContain('vvehicle-image-qemuarm64.rootfs.ext4 (a link to a file that does not exist)');
  });

  it('a missing kernel is an error; missing optional files become notes', () => {
    const d = makeDeployDir(tempDir(), { withSbom: false, withLicenses: false });
    const found = discoverArtifacts(d);
    expect(found.sbom).toBeUndefined();
    expect(found.licenseManifest).toBeUndefined();
    expect(found.notes.join('\n')).toMatch(/SBOM: not found/);
    expect(found.notes.join('\n')).toMatch(/licence manifest: not found/);
    unlinkSync(join(d.deployDir, 'Image'));
    renameSync(d.deployDir, `${d.deployDir}-x`);
    expect(errorOf(() => discoverArtifacts(d)).message).toMatch(/deploy directory .* does not exist/);
    renameSync(`${d.deployDir}-x`, d.deployDir);
    rmSync(join(d.deployDir, 'Image--6.6.111+git0+abcdef-r0-qemuarm64-20261128093015.bin'));
    const error = errorOf(() => discoverArtifacts(d));
    expect(error.message).toContain('no kernel Image in');
    expect(error.message).toContain('Image-qemuarm64.bin');
  });
});
