import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { sweepLeftovers } from '../../src/files/atomic.js';
import { acquireLock } from '../../src/files/process-lock.js';
import { tempDir } from '../helpers/tmp.js';

/** A pid that surely belonged to a process which has exited (a real one, just run). */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('acquireLock', () => {
  it('holds the pid; a second taker is refused naming it; release frees it', () => {
    const file = join(tempDir(), 'w', '.lock');
    const lock = acquireLock(file, 'work directory w');
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    expect(() => acquireLock(file, 'work directory w')).toThrow(UserError);
    expect(() => acquireLock(file, 'work directory w')).toThrow(new RegExp(`work directory w is in use by another vvehicle run \\(pid ${process.pid} `));
    lock.release();
    expect(existsSync(file)).toBe(false);
    acquireLock(file, 'again').release();
    expect(readdirSync(join(file, '..'))).toEqual([]);
  });

  it('takes over a lock whose process is gone, or that is unreadable, and says so', () => {
    const dir = tempDir();
    const file = join(dir, '.lock');
    const pid = deadPid();
    writeFileSync(file, JSON.stringify({ pid, host: hostname(), started: null, command: 'build', since: 'then' }));
    const lock = acquireLock(file, 'w');
    expect(lock.recovered).toBe(`took over the lock ${file} left by a run that is gone (pid ${pid})`);
    lock.release();
    writeFileSync(file, '{"pid": 12'); // torn by a crash
    const again = acquireLock(file, 'w');
    expect(again.recovered).toContain('pid unknown');
    again.release();
  });

  it('a lock from another host stands (we cannot tell whether that run is alive)', () => {
    const file = join(tempDir(), '.lock');
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: 'elsewhere.example', started: null, command: 'build', since: 'then' }));
    expect(() => acquireLock(file, 'w')).toThrow(/on elsewhere\.example/);
  });
});

describe('sweepLeftovers', () => {
  it('removes temp names of dead runs, restores a moved-aside output whose replacement never arrived, leaves live runs alone', () => {
    const dir = tempDir();
    const dead = deadPid();
    mkdirSync(join(dir, `.out.staging-${dead}-0123abcd`));
    writeFileSync(join(dir, `.manifest.json.tmp-${dead}-0123abcd`), '{"half');
    mkdirSync(join(dir, `.layer.old-${dead}-0123abcd`));
    writeFileSync(join(dir, `.layer.old-${dead}-0123abcd`, 'keep'), 'previous layer');
    mkdirSync(join(dir, `.busy.staging-${process.pid}-0123abcd`));
    mkdirSync(join(dir, '.unrelated'));
    const notes = sweepLeftovers(dir);
    expect(notes).toHaveLength(3);
    expect(notes).toContain(`restored ${join(dir, 'layer')}, moved aside by an interrupted run (pid ${dead}) before its replacement was in place`);
    expect(readdirSync(dir).sort()).toEqual([`.busy.staging-${process.pid}-0123abcd`, '.unrelated', 'layer']);
    expect(readFileSync(join(dir, 'layer', 'keep'), 'utf8')).toBe('previous layer');
  });
});

