import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { listTree, tempDir } from '../helpers/tmp.js';

/**
 * Issue 11, point 1: a component's pin (UERANSIM srcrev, archive sha256) belongs to one release. A bumped
 * version never inherits the profile's pin: it takes its own, the checked value of that release, or is refused.
 */
const E = 'extends: gateway-qemuarm64\n';
const NODE_1_9_1 = '848f139986f63232ced83babe3cad1679efdbb26c694737edc1f4fbd27b96203';
const SRCREV_3_3_0 = '6bf5a1a96aaef6ae8778b9d8b477ac6e2bbf8156';

function project(yml: string, extra: Record<string, string> = {}): { dir: string; file: string; work: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'vvehicle.yml'), yml);
  for (const [name, text] of Object.entries(extra)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, file: join(dir, 'vvehicle.yml'), work: join(dir, 'work') };
}

async function renderLayer(yml: string, extra: Record<string, string> = {}): Promise<(path: string) => string> {
  const p = project(yml, extra);
  const { code, stderr } = await runCli(['layer', '-c', p.file, '-w', p.work]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const layer = join(p.work, 'layers', 'meta-vvehicle');
  return (path) => readFileSync(join(layer, path), 'utf8');
}

describe('a version bump comes with the pin of that release', () => {
  it("the issue's example (node_exporter 1.9.0 without sha256, UERANSIM 3.2.6 without srcrev) is refused: exit 2, located, nothing written", async () => {
    const p = project(`${E}components:\n  nodeExporter:\n    version: 1.9.0\n  ueransim:\n    version: 3.2.6\n`);
    const before = listTree(p.dir);
    for (const command of ['plan', 'layer']) {
      const { code, stdout, stderr } = await runCli([command, '-c', p.file, '-w', p.work]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`${p.file}:4:14: components.nodeExporter.version: 1.9.0 needs components.nodeExporter.sha256: the published sha256 of node_exporter-1.9.0.linux-arm64.tar.gz`);
      expect(stderr).toContain(`${p.file}:6:14: components.ueransim.version: 3.2.6 needs components.ueransim.srcrev: the commit of UERANSIM tag v3.2.6`);
      expect(stderr).toContain('vvehicle has checked values only for');
      expect(existsSync(p.work)).toBe(false);
      expect(listTree(p.dir)).toEqual(before);
    }
  });

  it('an otelcol-contrib bump without sha256 is refused the same way', async () => {
    const p = project(`${E}components:\n  otelcolContrib:\n    version: 0.150.0\n`);
    const { code, stderr } = await runCli(['plan', '-c', p.file, '-w', p.work]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${p.file}:4:14: components.otelcolContrib.version: 0.150.0 needs components.otelcolContrib.sha256`);
  });

  it('a version in the table of checked releases renders its checked values, licence and sources (UERANSIM 3.2.7 is GPL-3.0-only)', async () => {
    const read = await renderLayer(`${E}components:\n  nodeExporter:\n    version: 1.12.1\n  ueransim:\n    version: 3.2.7\n`);
    const node = read('recipes-monitoring/node-exporter/node-exporter_1.12.1.bb');
    expect(node).toContain('SRC_URI[sha256sum] = "ad35b605f9954b9f1ffddf5ba054bdc5a98d790b9eae5291e1eeb83f1ecbd0e7"');
    expect(node).toContain('# Published sha256 of node_exporter-1.12.1.linux-arm64.tar.gz: the same in independent public sources:');
    expect(node).not.toContain('as given in the vvehicle configuration');
    expect(node).not.toContain(NODE_1_9_1);
    const ue = read('recipes-connectivity/ueransim/ueransim_3.2.7.bb');
    expect(ue).toContain('SRCREV = "1d1e154f869260b5e98f6905827b1bd9b8663afc"');
    expect(ue).toContain('# Commit of UERANSIM tag v3.2.7: the same in independent public sources:');
    expect(ue).toContain('LICENSE = "GPL-3.0-only"');
    expect(ue).toContain('LIC_FILES_CHKSUM = "file://LICENSE;md5=1ebbd3e34237af26da5dc08a4e440464"');
    expect(ue).not.toContain(SRCREV_3_3_0);
  });

  it('a pin given with the version is rendered as given, and says so', async () => {
    const sum = 'a'.repeat(64);
    const read = await renderLayer(
      `${E}components:\n  nodeExporter:\n    version: 1.9.0\n    sha256: ${sum}\n  ueransim:\n    version: 3.2.6\n    srcrev: 384636f4fcf46b8c86109790ff3e2cd242b53556\n`,
    );
    const node = read('recipes-monitoring/node-exporter/node-exporter_1.9.0.bb');
    expect(node).toContain(`SRC_URI[sha256sum] = "${sum}"`);
    expect(node).toContain('# Published sha256 of node_exporter-1.9.0.linux-arm64.tar.gz: as given in the vvehicle configuration');
    const ue = read('recipes-connectivity/ueransim/ueransim_3.2.6.bb');
    expect(ue).toContain('SRCREV = "384636f4fcf46b8c86109790ff3e2cd242b53556"');
    expect(ue).toContain('as given in the vvehicle configuration');
    expect(ue).toContain('LICENSE = "GPL-3.0-only"');
  });

  it('a sha256 that contradicts the checked published one is refused at the sha256', async () => {
    const p = project(`${E}components:\n  nodeExporter:\n    version: 1.9.1\n    sha256: ${'b'.repeat(64)}\n`);
    const { code, stderr } = await runCli(['plan', '-c', p.file, '-w', p.work]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${p.file}:5:13: components.nodeExporter.sha256: is not the published sha256 of node_exporter-1.9.1.linux-arm64.tar.gz`);
    expect(stderr).toContain(NODE_1_9_1);
  });

  it('a version and pin set together in a profile are kept by a project that extends it without touching them', async () => {
    const sum = 'c'.repeat(64);
    const read = await renderLayer('extends: ./lab.yml\nname: lab-image\n', {
      'lab.yml': `${E}components:\n  nodeExporter:\n    version: 1.9.0\n    sha256: ${sum}\n`,
    });
    expect(read('recipes-monitoring/node-exporter/node-exporter_1.9.0.bb')).toContain(`SRC_URI[sha256sum] = "${sum}"`);
  });

  it('a project that bumps a version set with its pin in an intermediate profile drops that pin too', async () => {
    const p = project('extends: ./lab.yml\ncomponents:\n  nodeExporter:\n    version: 1.8.2\n', {
      'lab.yml': `${E}components:\n  nodeExporter:\n    version: 1.9.0\n    sha256: ${'c'.repeat(64)}\n`,
    });
    const { code, stderr } = await runCli(['plan', '-c', p.file, '-w', p.work]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${p.file}:4:14: components.nodeExporter.version: 1.8.2 needs components.nodeExporter.sha256`);
  });

  it('UERANSIM versions older than the oldest tag are refused', async () => {
    const p = project(`${E}components:\n  ueransim:\n    version: 2.9.0\n    srcrev: ${SRCREV_3_3_0}\n`);
    const { code, stderr } = await runCli(['plan', '-c', p.file, '-w', p.work]);
    expect(code).toBe(2);
    expect(stderr).toContain('components.ueransim.version: must be 3.0.3 or later');
  });
});
