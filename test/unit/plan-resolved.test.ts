import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MASK, maskedConfig } from '../../src/plan/resolved.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Issue 11, point 5: `plan` shows everything it resolved, like `kas dump`, secrets masked, files in order.
 * (The subscriber's K and OPc are no longer in the configuration at all; the masking still guards any key so named.)
 */

describe('plan shows the resolved configuration', () => {
  it('lists the files merged, in order, and every resolved value; never a secret', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'base.yml'), 'extends: gateway-qemuarm64\nimage:\n  extraPackages: [htop, strace]\nsources:\n  rewrite:\n    - { from: https://git.yoctoproject.org/poky, to: file:///mirrors/poky.git }\n');
    writeFileSync(join(dir, 'ci.yml'), 'components:\n  nodeExporter:\n    port: 9200\n  otelcolContrib:\n    exporterEndpoint: collector.ci:4317\n');
    const r = await runCli(['plan', '-c', join(dir, 'base.yml'), '-c', join(dir, 'ci.yml')]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    const files = out.slice(out.indexOf('files loaded'));
    expect(files).toMatch(/1\. .*profiles\/gateway-qemuarm64\.yml\n {2}2\. .*base\.yml\n {2}3\. .*ci\.yml\n/);
    for (const value of ['- htop', '- strace', 'to: file:///mirrors/poky.git', 'port: 9200', 'exporterEndpoint: collector.ci:4317', 'gnbSearchList:', 'mcc: "208"']) {
      expect(out).toContain(value);
    }
  });

  it('masks secret-named keys wherever they are', () => {
    const masked = maskedConfig({ a: { key: 'k', op: 'o', nested: [{ token: 't', name: 'n' }] } } as never) as { a: { key: string; op: string; nested: { token: string; name: string }[] } };
    expect(masked).toEqual({ a: { key: MASK, op: MASK, nested: [{ token: MASK, name: 'n' }] } });
  });

  it('--json carries the same: files in merge order and the masked configuration', async () => {
    const r = await runCli(['plan', '--json']);
    const json = JSON.parse(r.stdout) as { files: string[]; config: { components: { ueransim: { ue: Record<string, string> } } } };
    expect(json.files).toHaveLength(1);
    expect(json.files[0]).toMatch(/gateway-qemuarm64\.yml$/);
    expect(json.config.components.ueransim.ue.mcc).toBe('208');
  });
});
