import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderLayer, type RenderedFile } from '../../src/layer/render.js';
import { listTree } from '../helpers/tmp.js';
import { goldenDir, loadForLayer } from '../helpers/layer.js';

/**
 * Golden files: the whole rendered layer of the default profile and of one variant, file by file, with
 * a MODES list. UPDATE_GOLDEN=1 rewrites them; review the diff before committing.
 */
const update = process.env.UPDATE_GOLDEN === '1';

function modesList(files: RenderedFile[]): string {
  return files.map((f) => `${f.mode.toString(8).padStart(4, '0')} ${f.path}`).join('\n') + '\n';
}

function writeGolden(dir: string, files: RenderedFile[]): void {
  rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    mkdirSync(dirname(join(dir, 'layer', f.path)), { recursive: true });
    writeFileSync(join(dir, 'layer', f.path), f.content);
  }
  writeFileSync(join(dir, 'MODES'), modesList(files));
}

function checkGolden(name: string, files: RenderedFile[]): void {
  const dir = join(goldenDir, name);
  if (update) writeGolden(dir, files);
  expect(existsSync(dir), `${dir} missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(readFileSync(join(dir, 'MODES'), 'utf8')).toBe(modesList(files));
  expect(listTree(join(dir, 'layer')).filter((p) => !p.endsWith('/'))).toEqual(files.map((f) => f.path));
  for (const f of files) {
    const golden = readFileSync(join(dir, 'layer', f.path));
    expect(Buffer.from(f.content).equals(golden), `${f.path} differs from the golden file`).toBe(true);
  }
}

describe('the rendered layer (golden files)', () => {
  it('default profile (gateway-qemuarm64)', () => {
    const { config, plan } = loadForLayer();
    checkGolden('default', renderLayer(config, plan));
  });

  it('variant: eBPF off, other UE settings, other endpoints', () => {
    const { config, plan } = loadForLayer(join(goldenDir, 'variant-no-ebpf.yml'));
    checkGolden('variant-no-ebpf', renderLayer(config, plan));
  });
});
