import { describe, expect, it } from 'vitest';
import { selectStages } from '../../src/pipeline/select-stages.js';
import { digestOf, readStageRecord, writeStageRecord } from '../../src/pipeline/stage-state.js';
import { UserError } from '../../src/errors.js';
import { STAGE_IDS } from '../../src/plan/types.js';
import { PIPELINE } from '../../src/pipeline/stages/index.js';
import { throttledProgress } from '../../src/pipeline/stages/progress.js';
import { tempDir } from '../helpers/tmp.js';

const ids = STAGE_IDS;

describe('stage selection', () => {
  it('keeps pipeline order whatever order the flags use', () => {
    expect(selectStages(ids, { only: ['bitbake,layer'] })).toEqual(['layer', 'bitbake']);
    expect(selectStages(ids, { skip: ['sources'], until: 'builder' })).toEqual(['layer', 'configure', 'builder']);
    expect(selectStages(ids, { skip: ['smoke,publish'] })).toEqual(['layer', 'sources', 'configure', 'builder', 'bitbake', 'convert', 'manifest']);
    expect(selectStages(ids, {})).toEqual([...ids]);
  });

  it('refuses an unknown stage id with the list of valid ids', () => {
    const attempt = () => selectStages(ids, { skip: ['compile'] });
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow('--skip compile: unknown stage id');
    try {
      attempt();
    } catch (e) {
      expect((e as UserError).hint).toBe('valid stage ids: layer, sources, configure, builder, bitbake, convert, smoke, manifest, publish');
    }
    expect(() => selectStages(ids, { until: 'nope' })).toThrow('--until nope: unknown stage id');
    expect(() => selectStages(['layer', 'sources'], { only: ['publish'] })).toThrow('--only publish: this stage is not available in this build');
    expect(() => selectStages(ids, { only: ['layer'], until: 'bitbake' })).toThrow('--only and --until cannot be combined');
  });

  it('registers the stages with the plan\'s ids, in the plan\'s order', () => {
    const order = PIPELINE.map((s) => STAGE_IDS.indexOf(s.id));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(PIPELINE.map((s) => s.id)).toEqual([...STAGE_IDS]);
  });
});

describe('stage records', () => {
  it('digests canonical JSON: key order does not matter, values do', () => {
    expect(digestOf({ a: 1, b: [1, 2] })).toBe(digestOf({ b: [1, 2], a: 1 }));
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
  });

  it('stores the digest under <work>/.state/<stage>.json', () => {
    const work = tempDir();
    expect(readStageRecord(work, 'layer')).toBeUndefined();
    writeStageRecord(work, 'layer', 'sha256:abc', new Date('2026-01-01T00:00:00Z'));
    expect(readStageRecord(work, 'layer')).toEqual({ stage: 'layer', inputsDigest: 'sha256:abc', completedAt: '2026-01-01T00:00:00.000Z' });
  });
});

describe('progress in plain output', () => {
  it('shows every change on a terminal, one line per 5 % of the tasks otherwise', () => {
    const tty: string[] = [];
    const plain: string[] = [];
    const showTty = throttledProgress((t) => tty.push(t), false);
    const showPlain = throttledProgress((t) => plain.push(t), true);
    for (let n = 1; n <= 100; n++) {
      showTty(`bitbake  ${n}/100 tasks · x do_compile`);
      showPlain(`bitbake  ${n}/100 tasks · x do_compile`);
    }
    expect(tty).toHaveLength(100);
    expect(plain).toHaveLength(21);
    expect(plain[1]).toBe('bitbake  5/100 tasks · x do_compile');
    showPlain('bitbake  1/10 setscene tasks · y do_populate_sysroot_setscene');
    expect(plain).toHaveLength(22);
  });
});
