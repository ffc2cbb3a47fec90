import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConvertResult } from '../../src/image/convert-result.js';
import { runCli } from '../helpers/cli.js';
import { makeDeployDir } from '../helpers/deploy-dir.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/** Independent of the code under test: qemu-img itself, and sha256 of the whole file. */
function qemuImgInfo(path: string): { format: string; 'virtual-size': number; 'cluster-size': number; 'format-specific': { data: { compat: string } } } {
  return JSON.parse(execFileSync('qemu-img', ['info', '--output=json', path], { encoding: 'utf8' }));
}
function sameContent(raw: string, qcow2: string): boolean {
  return spawnSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, qcow2]).status === 0;
}
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('vvehicle convert (real qemu-img)', () => {
  it('converts the linked ext4 to a qcow2 with the default cluster size and compat, and records it', async () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'), { sizeMiB: 24 });
    const out = join(root, 'out');
    const { code, stderr } = await runCli(['convert', '-w', join(root, 'work'), '--deploy-dir', d.deployDir, '--out', out]);
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);

    const { result, qcow2Path, kernelPath } = readConvertResult(out);
    expect(result.qcow2).toBe('vvehicle-gateway-0.1.0.qcow2');
    const info = qemuImgInfo(qcow2Path);
    expect(info.format).toBe('qcow2');
    expect(info['cluster-size']).toBe(65536);
    expect(info['format-specific'].data.compat).toBe('1.1');
    expect(info['virtual-size']).toBe(24 * 1024 * 1024);
    expect(result.info).toEqual({ format: 'qcow2', virtualSize: 24 * 1024 * 1024, clusterSize: 65536, compat: '1.1', compressed: false });
    expect(sameContent(join(d.deployDir, d.rootfsName()), qcow2Path)).toBe(true);

    expect(result.rootfsSource).toBe(join(d.deployDir, 'vvehicle-image-qemuarm64.rootfs-20261128093015.ext4'));
    expect(result.buildTimestamp).toBe('20261128093015');
    expect(readFileSync(kernelPath)).toEqual(readFileSync(join(d.deployDir, 'Image')));
    expect(result.sha256s[result.qcow2]).toBe(sha256(qcow2Path));
    expect(result.sha256s.Image).toBe(sha256(kernelPath));
    expect(readFileSync(join(out, 'packages.txt'), 'utf8')).toContain('nr-ue cortexa57 3.3.0');
    expect(listTree(out)).toEqual([
      'Image',
      'convert.json',
      'license.manifest',
      'packages.txt',
      'qemuboot.conf',
      'testdata.json',
      'vvehicle-gateway-0.1.0.qcow2',
      'vvehicle-gateway-0.1.0.spdx.tar.zst',
    ]);
    // the log of the qemu-img calls is in the work dir
    expect(listTree(join(root, 'work', 'logs')).join()).toMatch(/^convert-.*\.log$/);
  });

  it('honours output.qcow2 (cluster size, compat 0.10, compression) from the project file', async () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'), { sizeMiB: 16, naming: 'legacy' });
    writeFileSync(join(root, 'vvehicle.yml'), 'extends: gateway-qemuarm64\noutput:\n  qcow2:\n    compat: "0.10"\n    clusterSize: 2097152\n    compress: true\n');
    const out = join(root, 'out');
    const { code } = await runCli(['convert', '-c', join(root, 'vvehicle.yml'), '-w', join(root, 'work'), '--deploy-dir', d.deployDir, '--out', out, '--json']);
    expect(code).toBe(0);
    const { result, qcow2Path } = readConvertResult(out);
    const info = qemuImgInfo(qcow2Path);
    expect(info['cluster-size']).toBe(2097152);
    expect(info['format-specific'].data.compat).toBe('0.10');
    expect(result.info.compressed).toBe(true);
    expect(sameContent(join(d.deployDir, d.rootfsName()), qcow2Path)).toBe(true);
  });

  it('a rerun replaces the output dir as a whole', async () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'));
    const out = join(root, 'out');
    const args = ['convert', '-w', join(root, 'work'), '--deploy-dir', d.deployDir, '--out', out];
    expect((await runCli(args)).code).toBe(0);
    writeFileSync(join(out, 'manifest.json'), '{}');
    expect((await runCli(args)).code).toBe(0);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    expect(listTree(root).filter((p) => p.includes('.out.'))).toEqual([]);
  });

  it('bad input exits 2 with the candidates listed and writes nothing', async () => {
    const root = tempDir();
    const d = makeDeployDir(join(root, 'build'), { stamps: ['20261127080000', '20261128093015'], links: false });
    const before = listTree(root);
    const { code, stderr } = await runCli(['convert', '-w', join(root, 'work'), '--deploy-dir', d.deployDir, '--out', join(root, 'out')]);
    expect(code).toBe(2);
    expect(stderr).toContain('several candidates for the ext4 root filesystem of vvehicle-image');
    expect(stderr).toContain('vvehicle-image-qemuarm64.rootfs-20261127080000.ext4');
    expect(listTree(root)).toEqual(before);

    const missing = await runCli(['convert', '-w', join(root, 'work'), '--deploy-dir', d.deployDir, '--image', 'agl-image-minimal', '--out', join(root, 'out')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('agl-image-minimal-qemuarm64.rootfs.ext4');
    expect(listTree(root)).toEqual(before);
  });
});
