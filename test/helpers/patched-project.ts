import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFakeSources, writeProjectFile, type FakeSources } from './git-repos.js';
import { tempDir } from './tmp.js';

/**
 * A project with what kas users reach for beyond the profile: an in-house layer given by `path:` (its own git
 * work tree next to the project file), a `git format-patch` patch on poky and a quilt directory of plain
 * diffs on meta-agl, against the fake profile repositories.
 */
export const PATCH_AUTHOR = ['-c', 'user.name=Patch Author', '-c', 'user.email=author@example.invalid', '-c', 'commit.gpgsign=false'];
export const gitOut = (args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();

/** A change to `file` of an upstream repo, as `git format-patch` writes it (mail) or as a plain `git diff`. */
export function makePatch(fake: FakeSources, repo: string, file: string, content: string, outDir: string, plain = false): string {
  const work = join(tempDir(), 'w');
  execFileSync('git', ['clone', '-q', fake.repos[repo]!.bare, work]);
  writeFileSync(join(work, file), content);
  mkdirSync(outDir, { recursive: true });
  if (plain) {
    const out = join(outDir, `${file.replace(/\W/g, '-')}.diff`);
    writeFileSync(out, execFileSync('git', ['-C', work, 'diff'], { encoding: 'utf8' }));
    return out;
  }
  execFileSync('git', ['-C', work, ...PATCH_AUTHOR, 'commit', '-q', '-am', `change ${file}`]);
  return gitOut(['-C', work, 'format-patch', '-1', '-o', outDir]);
}

export async function patchedProject() {
  const root = tempDir();
  const fake = await makeFakeSources(join(root, 'upstream'));
  const dir = join(root, 'project');
  // an in-house layer kept in its own git work tree next to the project file
  const inhouse = join(dir, 'layers/meta-inhouse');
  mkdirSync(join(inhouse, 'conf'), { recursive: true });
  writeFileSync(join(inhouse, 'conf/layer.conf'), 'BBFILE_COLLECTIONS += "inhouse"\n');
  execFileSync('git', ['init', '-q', inhouse]);
  execFileSync('git', ['-C', inhouse, ...PATCH_AUTHOR, 'add', '-A']);
  execFileSync('git', ['-C', inhouse, ...PATCH_AUTHOR, 'commit', '-q', '-m', 'inhouse']);
  const mail = makePatch(fake, 'poky', 'meta/conf/layer.conf', '# poky/meta patched by 0001\n', join(dir, 'patches/poky'));
  // a quilt directory: a series file naming plain diffs
  const quilt = join(dir, 'patches/agl');
  makePatch(fake, 'meta-agl', 'meta-agl-core/conf/layer.conf', '# meta-agl-core patched by the series\n', quilt, true);
  writeFileSync(join(quilt, 'series'), '# applied in this order\nmeta-agl-core-conf-layer-conf.diff -p1\n');
  const config = writeProjectFile(dir, fake, (c) => {
    const repos = c.sources.repos as Record<string, unknown>;
    repos['meta-inhouse'] = { path: 'layers/meta-inhouse', layers: ['.'] };
    (repos.poky as Record<string, unknown>).patches = { '10-layer-conf': { path: `patches/poky/${mail.split('/').pop()}` } };
    (repos['meta-agl'] as Record<string, unknown>).patches = { '20-series': { path: 'patches/agl' } };
  });
  return { root, dir, fake, config, inhouse, mail, rewrite: fake.rewriteFlags.flatMap((f) => ['--rewrite', f]) };
}

