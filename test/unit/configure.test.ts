import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBuildConf } from '../../src/bitbake/configure.js';
import { loadConfig } from '../../src/config/load.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { listTree, tempDir } from '../helpers/tmp.js';

function defaultPlan() {
  const loaded = loadConfig({ cwd: tempDir() });
  return buildPlan({ config: loaded.config, profile: loaded.profile, lock: loaded.lock });
}

describe('configure: the managed build directory', () => {
  it('writes bblayers.conf with absolute paths, vvehicle.conf from the plan, local.conf with one require', () => {
    const plan = defaultPlan();
    const work = tempDir();
    const result = writeBuildConf(plan, work);
    const conf = join(work, 'build/gateway-qemuarm64/conf');
    expect(result.topdir).toBe(join(work, 'build/gateway-qemuarm64'));
    expect(listTree(conf)).toEqual(['bblayers.conf', 'local.conf', 'vvehicle.conf']);
    const bblayers = readFileSync(join(conf, 'bblayers.conf'), 'utf8');
    expect(bblayers).toContain(`  ${work}/sources/poky/meta \\\n`);
    expect(bblayers).toContain(`  ${work}/layers/meta-vvehicle \\\n`);
    expect(bblayers.indexOf('/sources/poky/meta ')).toBeLessThan(bblayers.indexOf('meta-agl-core'));
    const managed = readFileSync(join(conf, 'vvehicle.conf'), 'utf8').split('\n');
    for (const line of plan.managedConf) expect(managed).toContain(line);
    const local = readFileSync(join(conf, 'local.conf'), 'utf8');
    expect(local.split('\n').filter((l) => l.startsWith('require'))).toEqual(['require conf/vvehicle.conf']);
  });

  it('never overwrites local.conf, and leaves unchanged files untouched (bitbake keeps its cache)', () => {
    const plan = defaultPlan();
    const work = tempDir();
    writeBuildConf(plan, work);
    const conf = join(work, 'build/gateway-qemuarm64/conf');
    writeFileSync(join(conf, 'local.conf'), 'require conf/vvehicle.conf\nBB_NUMBER_THREADS = "1"\n');
    const before = statSync(join(conf, 'bblayers.conf')).mtimeMs;
    const again = writeBuildConf(plan, work);
    expect(again).toMatchObject({ written: [], localConfCreated: false });
    expect(readFileSync(join(conf, 'local.conf'), 'utf8')).toContain('BB_NUMBER_THREADS = "1"');
    expect(statSync(join(conf, 'bblayers.conf')).mtimeMs).toBe(before);
  });

  it('rewrites vvehicle.conf when the plan changes', () => {
    const plan = defaultPlan();
    const work = tempDir();
    writeBuildConf(plan, work);
    const changed = { ...plan, managedConf: [...plan.managedConf, 'BB_NUMBER_THREADS = "3"'] };
    expect(writeBuildConf(changed, work).written).toEqual(['conf/vvehicle.conf']);
    expect(readFileSync(join(work, 'build/gateway-qemuarm64/conf/vvehicle.conf'), 'utf8')).toContain('BB_NUMBER_THREADS = "3"');
  });
});
