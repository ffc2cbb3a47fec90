import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debootstrapBaseTag } from '../../src/build/builder-image.js';
import { run } from '../../src/exec.js';
import { imageExists } from '../../src/tools/engine.js';
import { runCli } from '../helpers/cli.js';
import { ensureContainersConf, TEST_ENGINE } from '../helpers/stub-builder.js';
import { tempDir } from '../helpers/tmp.js';

/** The Debian mirror this machine's apt uses (deb822 sources), for debootstrap. */
function debianMirror(): string {
  const text = readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8');
  const stanza = text.split(/\n\s*\n/).find((s) => /^Suites:.*\bbookworm\b/m.test(s) && !/security/.test(s));
  const uri = stanza && /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
  if (!uri) throw new Error('no bookworm mirror in /etc/apt/sources.list.d/debian.sources');
  return uri;
}

async function inImage(image: string, ...command: string[]): Promise<string> {
  const r = await run('podman', [...TEST_ENGINE.globalArgs, 'run', '--rm', '--network', 'none', image, ...command]);
  return r.stdout.trim();
}

describe('vvehicle builder --debootstrap-mirror (the registry-free path)', () => {
  // the first run debootstraps bookworm with the Yocto host packages (minutes); later runs reuse the imported base
  it('builds the builder image from our Containerfile and records its id', { timeout: 1_800_000 }, async () => {
    ensureContainersConf();
    const work = join(tempDir(), 'work');
    const r = await runCli(['builder', '-w', work, '--engine', 'podman', '--engine-arg=--runtime', '--engine-arg=runc', '--debootstrap-mirror', debianMirror()]);
    expect(r.code).toBe(0);
    const record = JSON.parse(readFileSync(join(work, 'builder.json'), 'utf8')) as { image: string; id: string; source: string };
    expect(record.image).toMatch(/^localhost\/vvehicle-builder:[0-9a-f]{12}$/);
    expect(record.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record.source).toBe('debootstrap+containerfile');
    expect(await imageExists(TEST_ENGINE, debootstrapBaseTag())).toBe(true);
    expect(r.stdout).toContain(`id    ${record.id}`);

    // what bitbake needs from it: a non-root user 1001, en_US.UTF-8, tini as init, git that reads any checkout
    expect(await inImage(record.image, 'id')).toBe('uid=1001(builder) gid=1001(builder) groups=1001(builder)');
    expect((await inImage(record.image, 'locale', '-a')).split('\n')).toContain('en_US.utf8');
    expect(await inImage(record.image, 'sh', '-c', 'echo $LANG $HOME')).toBe('en_US.UTF-8 /home/builder');
    expect(await inImage(record.image, 'git', 'config', '--system', '--get-all', 'safe.directory')).toBe('*');
    expect(await inImage(record.image, 'python3', '-c', 'import git, jinja2, pexpect, subunit; print("ok")')).toBe('ok');
    const entrypoint = await run('podman', [...TEST_ENGINE.globalArgs, 'image', 'inspect', '--format', '{{json .Config.Entrypoint}}', record.image]);
    expect(entrypoint.stdout.trim()).toBe('["/usr/bin/tini","-g","--"]');

    // a second run reuses both images
    const again = await runCli(['builder', '-w', work, '--engine', 'podman', '--engine-arg=--runtime', '--engine-arg=runc', '--debootstrap-mirror', debianMirror()]);
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, 'builder.json'), 'utf8'))).toEqual(record);
  });
});
