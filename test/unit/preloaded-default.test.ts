import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { preloadedDefault, writePreloadedDefault } from '../../src/config/preloaded-default.js';
import { embeddedProfilesDir, DEFAULT_PROFILE } from '../../src/package-paths.js';
import { tempDir } from '../helpers/tmp.js';

/** The record `npm run build` writes of the embedded default profile (here written to a temp file). */
function record(): string {
  const file = join(tempDir(), 'default-profile.loaded.json');
  writePreloadedDefault(loadConfig({ cwd: tempDir() }), file);
  return file;
}

describe('the preloaded default profile', () => {
  it('is what loadConfig returns for a directory with no project or lock file', () => {
    const file = record();
    const cwd = tempDir();
    expect(preloadedDefault({ cwd }, file)).toEqual(loadConfig({ cwd }));
  });

  it('is not used when a project file, a lock file or -c is there: those are loaded', () => {
    const file = record();
    const withProject = tempDir();
    writeFileSync(join(withProject, 'vvehicle.yml'), 'extends: gateway-qemuarm64\n');
    const withLock = tempDir();
    writeFileSync(join(withLock, 'vvehicle.lock.yml'), 'repos: {}\n');
    expect(preloadedDefault({ cwd: withProject }, file)).toBeUndefined();
    expect(preloadedDefault({ cwd: withLock }, file)).toBeUndefined();
    expect(preloadedDefault({ cwd: tempDir(), configPath: ['ci.yml'] }, file)).toBeUndefined();
  });

  it('is not used once the profile it was made from changed (a stale dist/), nor when the build wrote none', () => {
    const file = record();
    const cwd = tempDir();
    const stale = join(tempDir(), 'stale.json');
    const text = JSON.parse(readFileSync(file, 'utf8')) as { files: { sha256: string }[] };
    text.files[0]!.sha256 = '0'.repeat(64);
    writeFileSync(stale, JSON.stringify(text));
    expect(preloadedDefault({ cwd }, stale)).toBeUndefined();
    expect(preloadedDefault({ cwd }, join(tempDir(), 'none.json'))).toBeUndefined();
    // the record names the profile files by their place in the package
    expect(preloadedDefault({ cwd }, file)!.files).toEqual([join(embeddedProfilesDir, `${DEFAULT_PROFILE}.yml`)]);
  });
});
