import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debootstrapBaseTag } from '../../src/container/builder-image.js';
import { run } from '../../src/exec.js';
import { engineArgs, imageExists, type Engine } from '../../src/tools/engine.js';
import { debianMirror, ensureBuilderBase } from '../helpers/builder-base.js';
import { runCli } from '../helpers/cli.js';
import { engineFlags, ENGINES, testEngine } from '../helpers/engines.js';
import { tempDir } from '../helpers/tmp.js';

async function inImage(engine: Engine, image: string, ...command: string[]): Promise<string> {
  const r = await run(engine.program, engineArgs(engine, ['run', '--rm', '--network', 'none', image, ...command]));
  return r.stdout.trim();
}

/** The engine commands a run logged (`$ <client> … <subcommand>`), e.g. to prove nothing was pulled or built. */
function loggedSubcommands(work: string, engine: Engine): string[] {
  const prefix = `$ ${[engine.program, ...engine.globalArgs].join(' ')} `;
  return readFileSync(join(work, 'logs/builder.log'), 'utf8').split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).split(' ')[0]!);
}

describe.each(ENGINES)('vvehicle builder --debootstrap-mirror in %s (the registry-free path)', (engineName) => {
  // the debootstrapped base is made once per machine (minutes) and imported into each engine; this
  // builds our Containerfile on top of it, as a user's `builder --debootstrap-mirror` does
  it('builds the builder image from our Containerfile, records it, and later runs reuse it without a registry', { timeout: 1_800_000 }, async () => {
    const engine = await testEngine(engineName);
    await ensureBuilderBase(engine);
    const work = join(tempDir(), 'work');
    const r = await runCli(['builder', '-w', work, ...engineFlags(engine), '--debootstrap-mirror', debianMirror()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const record = JSON.parse(readFileSync(join(work, 'builder.json'), 'utf8')) as { image: string; id: string; source: string; engine: string; base: unknown };
    expect(record.image).toMatch(/^localhost\/vvehicle-builder:[0-9a-f]{12}$/);
    expect(record.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record).toMatchObject({ source: 'debootstrap+containerfile', engine: engineName, base: { debootstrapMirror: debianMirror() } });
    expect(await imageExists(engine, debootstrapBaseTag())).toBe(true);
    expect(r.stdout).toContain(`id    ${record.id}`);

    // what bitbake needs from it: a non-root user 1001, en_US.UTF-8, tini as init, git that reads any checkout
    expect(await inImage(engine, record.image, 'id')).toBe('uid=1001(builder) gid=1001(builder) groups=1001(builder)');
    expect((await inImage(engine, record.image, 'locale', '-a')).split('\n')).toContain('en_US.utf8');
    expect(await inImage(engine, record.image, 'sh', '-c', 'echo $LANG $HOME')).toBe('en_US.UTF-8 /home/builder');
    expect(await inImage(engine, record.image, 'git', 'config', '--system', '--get-all', 'safe.directory')).toBe('*');
    expect(await inImage(engine, record.image, 'python3', '-c', 'import git, jinja2, pexpect, subunit; print("ok")')).toBe('ok');
    const entrypoint = await run(engine.program, engineArgs(engine, ['image', 'inspect', '--format', '{{json .Config.Entrypoint}}', record.image]));
    expect(entrypoint.stdout.trim()).toBe('["/usr/bin/tini","-g","--"]');

    // the base is remembered: a later run in this work dir without the flag reuses the recorded
    // builder instead of trying a registry (it would fail air-gapped): nothing pulled, nothing built
    const before = loggedSubcommands(work, engine).length;
    const again = await runCli(['build', '--only', 'builder', '-w', work, ...engineFlags(engine), '--min-free-gib', '1']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, 'builder.json'), 'utf8'))).toEqual(record);
    expect(loggedSubcommands(work, engine).slice(before).filter((c) => c === 'pull' || c === 'build' || c === 'import')).toEqual([]);

    // … and so is build.builderBase in a fresh work dir
    const dir = tempDir();
    writeFileSync(join(dir, 'vvehicle.yml'), `extends: gateway-qemuarm64\nbuild:\n  builderBase: { debootstrapMirror: '${debianMirror()}' }\n`);
    const fresh = join(dir, 'work');
    const configured = await runCli(['build', '--only', 'builder', '-c', join(dir, 'vvehicle.yml'), '-w', fresh, ...engineFlags(engine), '--min-free-gib', '1']);
    expect(configured.stderr).toBe('');
    expect(configured.code).toBe(0);
    expect(JSON.parse(readFileSync(join(fresh, 'builder.json'), 'utf8'))).toEqual(record);
    expect(loggedSubcommands(fresh, engine).filter((c) => c === 'pull' || c === 'build' || c === 'import')).toEqual([]);
  });
});
