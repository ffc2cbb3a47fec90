import { describe, expect, it } from 'vitest';
import { ConfigError, describeError, exitCodeFor, Interrupted, SmokeFailure, ToolError, UserError } from '../../src/errors.js';

describe('errors map to exit codes in one place', () => {
  it.each([
    [new UserError('bad'), 2],
    [new ConfigError([{ file: 'f.yml', line: 1, col: 2, path: 'a', message: 'm' }]), 2],
    [new ToolError('bitbake x', 1, ''), 1],
    [new ToolError('qemu-img convert', 3, ''), 3],
    [new ToolError('killed', 137, ''), 137],
    [new ToolError('weird', -1, ''), 1],
    [new SmokeFailure('health', 'nr-ue.service failed'), 3],
    [new Interrupted(), 130],
    [new Error('boom'), 1],
    ['a string', 1],
  ])('%s → %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('a config error lists every problem as file:line:col: path: message', () => {
    const e = new ConfigError([
      { file: 'vvehicle.yml', line: 3, col: 5, path: 'build.engine', message: 'must be one of: "auto"' },
      { file: 'vvehicle.yml', line: 7, col: 1, path: '', message: 'YAML: bad' },
    ]);
    expect(describeError(e)).toBe(
      'error: vvehicle.yml:3:5: build.engine: must be one of: "auto"\nvvehicle.yml:7:1: (root): YAML: bad\nhint: fix the lines above, then rerun; `vvehicle schema` prints every allowed key',
    );
  });

  it('a tool error shows the command and the tail of its output', () => {
    const text = describeError(new ToolError('qemu-img check x.qcow2', 2, 'line1\nline2\n'));
    expect(text).toContain('command: qemu-img check x.qcow2');
    expect(text).toContain('--- last lines ---\nline1\nline2');
  });

  it('an internal error hides the stack unless --debug', () => {
    expect(describeError(new Error('boom'))).toContain('rerun with --debug');
    expect(describeError(new Error('boom'), true)).toContain('at ');
  });
});
