import { describe, expect, it } from 'vitest';
import { exitCodeFor, ToolError, UserError } from '../../src/errors.js';
import { DaemonUnreachable, DiskSpaceError, formatBytes, machineFault } from '../../src/faults.js';

/** The one mapper from errno codes and tools' words to user-facing faults (the real faults are in test/integration/faults-*). */
describe('machineFault', () => {
  const errno = (code: string, extra: object) => Object.assign(new Error(`${code}: boom`), { code, ...extra });

  it.each([
    ['ENOSPC', /^no space left on device writing \/nonexistent\/x /],
    ['EDQUOT', /^disk quota exceeded writing \/nonexistent\/x /],
    ['EROFS', /^cannot write \/nonexistent\/x: read-only file system$/],
  ])('%s from Node is a DiskSpaceError at its path, exit 2', (code, message) => {
    const fault = machineFault(errno(code, { path: '/nonexistent/x' }));
    expect(fault).toBeInstanceOf(DiskSpaceError);
    expect(fault!.message).toMatch(message);
    expect(exitCodeFor(fault)).toBe(2);
  });

  it('a copy names its destination, not its source', () => {
    expect((machineFault(errno('ENOSPC', { path: '/src/Image', dest: '/dst/Image' })) as DiskSpaceError).path).toBe('/dst/Image');
  });

  it('a tool that says "No space left on device" is reported at the file its wrapper said it writes', () => {
    const e = new ToolError('qemu-img convert a b', 1, 'qemu-img: error while writing at byte 0: No space left on device', undefined, '/out/b.qcow2');
    expect((machineFault(e) as DiskSpaceError).path).toBe('/out/b.qcow2');
  });

  it('daemon words become DaemonUnreachable; user errors and other errors pass through untouched', () => {
    expect(machineFault(new ToolError('docker ps', 1, 'Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?'))).toBeInstanceOf(DaemonUnreachable);
    expect(machineFault(new UserError('bad'))).toBeUndefined();
    expect(machineFault(new Error('bug'))).toBeUndefined();
    expect(machineFault(new ToolError('bitbake', 1, 'ERROR: Task failed'))).toBeUndefined();
  });

  it('a need known only as a bound says "up to" and claims no shortfall', () => {
    const bound = new DiskSpaceError('ENOSPC', '/', { atMost: 2 ** 50 });
    expect(bound.message).toMatch(/^no space left on device writing \/ \(\S+ \S+ free there, up to 1024\.0 TiB needed\); nothing was half-written$/);
    expect(bound.neededBytes).toBe(2 ** 50);
    expect(new DiskSpaceError('ENOSPC', '/', 2 ** 50, 'x').message).toMatch(/, 1024\.0 TiB needed, \S+ \S+ short\); nothing was written$/);
  });

  it('formats sizes the way df -h users read them', () => {
    expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(5 * 2 ** 30)]).toEqual(['0 bytes', '1023 bytes', '1.5 KiB', '5.0 GiB']);
  });
});
