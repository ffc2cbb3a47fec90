import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheNetwork } from '../../src/container/cache-access.js';
import { probeAddress } from '../../src/cache/serve.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { parsePublishTarget } from '../../src/image/publish-target.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { hashservArgv } from '../../src/tools/hashserv.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const E = 'extends: gateway-qemuarm64\n';

function loaded(yml: string) {
  const dir = tempDir();
  writeFileSync(join(dir, 'vvehicle.yml'), E + yml);
  return loadConfig({ cwd: dir });
}

function confOf(yml: string): string[] {
  const l = loaded(yml);
  return buildPlan({ config: l.config, profile: l.profile, lock: l.lock }).managedConf;
}

/** The rule of poky scarthgap's meta/classes-global/sanity.bbclass (check_sanity_everybuild), on our lines. */
function sanityWarns(conf: string[]): boolean {
  const value = (name: string) => conf.map((l) => new RegExp(`^${name} = "(.*)"$`).exec(l)?.[1]).find((v) => v !== undefined);
  // BB_HASHSERVE = "auto" is what bitbake turns into unix://${TOPDIR}/hashserve.sock before the check runs
  const hashserve = value('BB_HASHSERVE') === 'auto' ? 'unix://TOPDIR/hashserve.sock' : value('BB_HASHSERVE');
  return Boolean(value('SSTATE_MIRRORS') && hashserve?.startsWith('unix://') && !value('BB_HASHSERVE_UPSTREAM'));
}

describe('shared build caches in the managed conf', () => {
  it('host:port: OEEquivHash against that server, sstate mirrors in poky\'s form (file:// in place, http downloaded by name)', () => {
    const conf = confOf("build:\n  hashEquivalence: hashserv.farm.example:8686\n  sstateMirrors: ['file:///srv/sstate/', 'http://sstate.farm.example/sstate']\n");
    expect(conf).toContain('BB_SIGNATURE_HANDLER = "OEEquivHash"');
    expect(conf).toContain('BB_HASHSERVE = "hashserv.farm.example:8686"');
    expect(conf).toContain('SSTATE_MIRRORS = "file://.* file:///srv/sstate/PATH file://.* http://sstate.farm.example/sstate/PATH;downloadfilename=PATH"');
    expect(conf.some((l) => l.startsWith('BB_HASHSERVE_UPSTREAM'))).toBe(false);
    expect(sanityWarns(conf)).toBe(false);
  });

  it('auto with an upstream: the local server pulls from the shared one, and a mirror is fine', () => {
    const conf = confOf("build:\n  hashEquivalenceUpstream: hashserv.farm.example:8686\n  sstateMirrors: ['http://sstate.farm.example/sstate']\n");
    expect(conf).toEqual(expect.arrayContaining(['BB_HASHSERVE = "auto"', 'BB_HASHSERVE_UPSTREAM = "hashserv.farm.example:8686"']));
    expect(sanityWarns(conf)).toBe(false);
  });

  it('off: basic signatures, no server', () => {
    const conf = confOf("build:\n  hashEquivalence: 'off'\n  sstateMirrors: ['file:///srv/sstate']\n");
    expect(conf).toEqual(expect.arrayContaining(['BB_SIGNATURE_HANDLER = "OEBasicHash"', 'BB_HASHSERVE = ""']));
    expect(sanityWarns(conf)).toBe(false);
  });

  it('no accepted combination of hash server and mirrors makes bitbake\'s sanity check warn', () => {
    for (const hash of ['auto', 'off', '127.0.0.1:8686']) {
      for (const upstream of [undefined, 'up.example:8686']) {
        for (const mirrors of [[], ['file:///srv/sstate']]) {
          const yml = `build:\n  hashEquivalence: '${hash}'\n${upstream ? `  hashEquivalenceUpstream: ${upstream}\n` : ''}  sstateMirrors: ${JSON.stringify(mirrors)}\n`;
          let conf: string[];
          try {
            conf = confOf(yml);
          } catch {
            continue; // refused by the config rules (below)
          }
          expect(sanityWarns(conf), yml).toBe(false);
        }
      }
    }
  });

  it('refuses, located, the mix bitbake warns about, and an upstream that nothing would use', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), `${E}build:\n  sstateMirrors: ['file:///srv/sstate']\n`);
    const mixed = await runCli(['plan', '-c', join(dir, 'vvehicle.yml')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain(`${join(dir, 'vvehicle.yml')}:3:18: build.sstateMirrors: an sstate mirror with a local hash server (hashEquivalence: auto)`);
    expect(mixed.stderr).toContain('set build.hashEquivalence to host:port of the hash server that goes with this mirror');

    writeFileSync(join(dir, 'vvehicle.yml'), `${E}build:\n  hashEquivalence: 127.0.0.1:8686\n  sstateMirrors: [/srv/sstate]\n`);
    const bare = await runCli(['plan', '-c', join(dir, 'vvehicle.yml')]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`${join(dir, 'vvehicle.yml')}:4:19: build.sstateMirrors.0: must be a file:///absolute/path or http(s):// URL`);

    writeFileSync(join(dir, 'vvehicle.yml'), `${E}build:\n  hashEquivalence: 127.0.0.1:8686\n  hashEquivalenceUpstream: up.example:8686\n`);
    const unused = await runCli(['plan', '-c', join(dir, 'vvehicle.yml')]);
    expect(unused.code).toBe(2);
    expect(unused.stderr).toContain(`${join(dir, 'vvehicle.yml')}:4:28: build.hashEquivalenceUpstream: only applies with hashEquivalence: auto`);
  });
});

describe('what the build container needs to reach the caches', () => {
  const build = (b: Partial<Config['build']>) => ({ ...loaded('').config.build, ...b });

  it('keeps a command offline unless a hash server must be reached; loopback servers need the host network', () => {
    expect(cacheNetwork(build({}), 'none')).toBe('none');
    expect(cacheNetwork(build({ hashEquivalence: 'off' }), 'none')).toBe('none');
    expect(cacheNetwork(build({ hashEquivalence: '127.0.0.1:8686' }), 'none')).toBe('host');
    expect(cacheNetwork(build({ hashEquivalence: 'localhost:8686' }), 'default')).toBe('host');
    expect(cacheNetwork(build({ hashEquivalence: 'hashserv.farm.example:8686' }), 'none')).toBe('default');
    expect(cacheNetwork(build({ hashEquivalenceUpstream: 'hashserv.farm.example:8686' }), 'none')).toBe('default');
  });
});

describe('bitbake-hashserv argv', () => {
  it('runs the pinned poky\'s server with the database, read-only and upstream as asked', () => {
    expect(hashservArgv({ pokyDir: '/w/sources/poky', bind: '127.0.0.1:8686', database: '/w/hashserv/hashserv.db', readOnly: true, upstream: 'up:8686', logLevel: 'INFO' })).toEqual([
      '/w/sources/poky/bitbake/bin/bitbake-hashserv', '--bind', '127.0.0.1:8686', '--database', '/w/hashserv/hashserv.db', '--log', 'INFO', '--read-only', '--upstream', 'up:8686',
    ]);
    expect(hashservArgv({ pokyDir: '/p', bind: ':8686', database: '/d.db', readOnly: false, logLevel: 'DEBUG' })).toEqual(['/p/bitbake/bin/bitbake-hashserv', '--bind', ':8686', '--database', '/d.db', '--log', 'DEBUG']);
  });
});

describe('cache serve options', () => {
  it('probes an any-address bind on loopback, and refuses a bad --bind, --upstream or --log-level before starting anything', async () => {
    expect(probeAddress(':8686')).toEqual({ host: '127.0.0.1', port: 8686 });
    expect(probeAddress('0.0.0.0:8686')).toEqual({ host: '127.0.0.1', port: 8686 });
    expect(probeAddress('[::1]:8686')).toEqual({ host: '::1', port: 8686 });
    for (const [args, message] of [
      [['--bind', 'nowhere'], '--bind nowhere: expected host:port'],
      [['--upstream', 'http://x:1'], '--upstream http://x:1: expected host:port'],
      [['--log-level', 'loud'], '--log-level loud: one of DEBUG, INFO, WARNING, ERROR'],
      [['--read-only', '--upstream', 'up:8686'], '--read-only and --upstream cannot go together'],
    ] as const) {
      const work = join(tempDir(), 'work');
      const r = await runCli(['cache', 'serve', '-w', work, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(existsSync(work)).toBe(false);
    }
  });
});

describe('publish targets', () => {
  it('oci://HOST[:PORT]/REPO is a registry (loopback ones need no TLS); anything else a directory', () => {
    expect(parsePublishTarget('oci://127.0.0.1:5000/agl/vvehicle')).toEqual({ kind: 'oci', registry: '127.0.0.1:5000', repository: 'agl/vvehicle', loopback: true });
    expect(parsePublishTarget('oci://registry.lab.example/vvehicle')).toEqual({ kind: 'oci', registry: 'registry.lab.example', repository: 'vvehicle', loopback: false });
    expect(parsePublishTarget('published')).toEqual({ kind: 'dir', path: 'published' });
    expect(() => parsePublishTarget('oci://r.example/a/b@sha256:00')).toThrow('a tag or digest is not part of the target');
  });
});
