import { describe, expect, it } from 'vitest';
import { ConfigError, decisiveLine, describeError, exitCodeFor, Interrupted, SmokeFailure, ToolError, UserError } from '../../src/errors.js';

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

describe('a tool error leads with the tool\'s own decisive line', () => {
  it.each([
    ['qemu-img: /t/overlay.qcow2: Unsupported qcow2 version 7\nCould not open backing image.', 'qemu-img', 'qemu-img: /t/overlay.qcow2: Unsupported qcow2 version 7'],
    ['qemu-system-aarch64: warning: host doesn\'t support requested feature\nqemu-system-aarch64: -device x: failed to find romfile "efi-virtio.rom"', 'qemu-system-aarch64', 'qemu-system-aarch64: -device x: failed to find romfile "efi-virtio.rom"'],
    ["error: pathspec 'x' did not match\nhint: try git fetch\nfatal: could not read from remote repository", 'git', 'fatal: could not read from remote repository'],
    ["docker: Error response from daemon: pull access denied for nope.\nSee 'docker run --help'.", 'docker', 'docker: Error response from daemon: pull access denied for nope.'],
    ['Trying to pull x...\nError: initializing source docker://x: connection refused', 'podman', 'Error: initializing source docker://x: connection refused'],
    ['some progress\nlast words', 'tool', 'last words'],
  ])('%#: %s', (tail, program, expected) => {
    expect(decisiveLine(tail, program)).toBe(expected);
  });

  it('the first line of the message carries it, the command and the whole tail follow', () => {
    const e = new ToolError('qemu-img create -b x.qcow2 o.qcow2', 1, 'qemu-img: o.qcow2: Unsupported qcow2 version 7\nCould not open backing image.');
    expect(e.message).toBe('qemu-img exited with code 1: qemu-img: o.qcow2: Unsupported qcow2 version 7');
    expect(describeError(e).split('\n')).toEqual([
      'error: qemu-img exited with code 1: qemu-img: o.qcow2: Unsupported qcow2 version 7',
      'command: qemu-img create -b x.qcow2 o.qcow2',
      '--- last lines ---',
      'qemu-img: o.qcow2: Unsupported qcow2 version 7',
      'Could not open backing image.',
    ]);
    expect(new ToolError('git fetch', 128, 'fatal: x', 'fetching layer poky').message).toBe('fetching layer poky: fatal: x');
    // a composed multi-line message (bitbake's) is left as it is
    expect(new ToolError('bitbake', 1, 'ERROR: y', 'bitbake failed: task x\nlog: z').message).toBe('bitbake failed: task x\nlog: z');
  });
});
