import { describe, expect, it } from 'vitest';
import { referenceName } from '../../src/sources/reference.js';
import { combineRules, parseRewriteFlag, rewriteUrl } from '../../src/sources/rewrite.js';
import { UserError } from '../../src/errors.js';

describe('URL rewrite rules', () => {
  const rules = combineRules(
    [{ from: 'https://git.yoctoproject.org/', to: 'file:///mirrors/yocto/' }],
    ['https://git.yoctoproject.org/poky=file:///mirrors/poky.git'],
  );

  it('applies the first matching rule; flags come before config rules', () => {
    expect(rewriteUrl('https://git.yoctoproject.org/poky', rules)).toBe('file:///mirrors/poky.git');
    expect(rewriteUrl('https://git.yoctoproject.org/meta-lts-mixins', rules)).toBe('file:///mirrors/yocto/meta-lts-mixins');
  });

  it('matches a prefix only at a path boundary', () => {
    const r = [parseRewriteFlag('https://github.com/kraj/meta-clang=file:///m/meta-clang.git')];
    expect(rewriteUrl('https://github.com/kraj/meta-clang', r)).toBe('file:///m/meta-clang.git');
    expect(rewriteUrl('https://github.com/kraj/meta-clang-extra', r)).toBe('https://github.com/kraj/meta-clang-extra');
    expect(rewriteUrl('https://github.com/kraj/meta-clang/sub', r)).toBe('file:///m/meta-clang.git/sub');
  });

  it('leaves URLs no rule matches alone', () => {
    expect(rewriteUrl('https://gerrit.automotivelinux.org/gerrit/AGL/meta-agl', rules)).toBe('https://gerrit.automotivelinux.org/gerrit/AGL/meta-agl');
  });

  it('refuses a flag without FROM=TO', () => {
    expect(() => parseRewriteFlag('https://x')).toThrow(UserError);
    expect(() => parseRewriteFlag('=file:///x')).toThrow('expected FROM=TO');
    expect(() => parseRewriteFlag('https://x=')).toThrow('expected FROM=TO');
  });
});

describe('reference clone names', () => {
  it('names a clone after the canonical URL, without scheme or user', () => {
    expect(referenceName('https://git.yoctoproject.org/poky')).toBe('git.yoctoproject.org.poky.git');
    expect(referenceName('https://github.com/kraj/meta-clang.git')).toBe('github.com.kraj.meta-clang.git');
    expect(referenceName('ssh://git@gerrit.automotivelinux.org:29418/AGL/meta-agl')).toBe('gerrit.automotivelinux.org.29418.AGL.meta-agl.git');
    expect(referenceName('file:///srv/mirrors/poky.git/')).toBe('.srv.mirrors.poky.git');
  });
});
