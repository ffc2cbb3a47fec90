import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConsoleLines } from '../../src/smoke/console-lines.js';
import { CORE_REQUIRED_UNITS, fatalReason, healthJsonIn, plainText } from '../../src/smoke/console-patterns.js';
import { BootExpectations } from '../../src/smoke/expectations.js';
import { healthProblems, parseHealth } from '../../src/smoke/health.js';

/** Consoles recorded from real smoke boots of the fixtures (test/helpers/fixtures). */
const consoles = join(dirname(fileURLToPath(import.meta.url)), '../helpers/fixtures/consoles');
const recorded = (name: string) => readFileSync(join(consoles, name), 'utf8');

const REQUIRED = [...CORE_REQUIRED_UNITS, 'node_exporter.socket', 'otelcol-contrib.service', 'nr-ue.service'];
const BUDGETS: [number, number, number] = [60_000, 120_000, 300_000];

function expectations(overrides: Partial<ConstructorParameters<typeof BootExpectations>[0]> = {}) {
  return new BootExpectations({
    groupTimeoutsMs: BUDGETS,
    requiredUnits: REQUIRED,
    startMs: 0,
    checkHealth: (json) => {
      const parsed = parseHealth(json);
      if ('problem' in parsed) return parsed.problem;
      const problems = healthProblems(parsed.report, false);
      return problems.length ? problems.join('; ') : undefined;
    },
    ...overrides,
  });
}

/** Feeds a console through ConsoleLines in chunks of `size`, one time unit per chunk. */
function replay(text: string, size: number, e = expectations()) {
  const lines = new ConsoleLines();
  let t = 0;
  for (let at = 0; at < text.length && !e.outcome; at += size) {
    t += 1;
    const { lines: complete, partial } = lines.push(text.slice(at, at + size));
    for (const line of complete) e.observeLine(line, t);
    e.observePartial(partial, t);
  }
  return e;
}

describe('BootExpectations on recorded consoles', () => {
  it('passes the busybox fixture: kernel, init, health, then a login prompt that has no newline', () => {
    const e = replay(recorded('busybox-healthy.console.txt'), 4096);
    expect(e.outcome).toEqual({ verdict: 'pass' });
    expect(e.stages().map((s) => [s.id, s.status])).toEqual([['kernel', 'pass'], ['init', 'pass'], ['health', 'pass'], ['login', 'pass']]);
    expect(JSON.parse(e.healthJson!)).toMatchObject({ ipv4: '10.0.2.15', units: {} });
  });

  it('passes the systemd fixture, where getty prints its prompt before the health line and the line follows the prompt', () => {
    const e = replay(recorded('systemd-layer.console.txt'), 64);
    expect(e.outcome).toEqual({ verdict: 'pass' });
    const at = Object.fromEntries(e.stages().map((s) => [s.id, s.durationMs]));
    expect(at.login!).toBeLessThan(at.health!);
    expect(JSON.parse(e.healthJson!).units).toEqual({ 'node_exporter.socket': 'active', 'otelcol-contrib.service': 'active', 'nr-ue.service': 'active' });
  });

  it('gives the same verdict whatever the chunking of the serial stream', () => {
    for (const size of [1, 7, 113, 65_536]) {
      expect(replay(recorded('systemd-layer.console.txt'), size).outcome).toEqual({ verdict: 'pass' });
      expect(replay(recorded('busybox-healthy.console.txt'), size).outcome).toEqual({ verdict: 'pass' });
    }
  });

  it('ignores a later stage seen before its turn (ordered expectations)', () => {
    const e = expectations();
    e.observePartial('vvehicle login: ', 1);
    e.observeLine('Booting Linux on physical CPU 0x0000000000 [0x411fd070]', 2);
    e.observeLine('Run /init as init process', 3);
    expect(e.stages().find((s) => s.id === 'login')!.status).toBe('skipped');
    expect(e.outcome).toBeUndefined();
  });
});

describe('fail-fast patterns', () => {
  const booted = () => {
    const e = expectations();
    e.observeLine('[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x411fd070]', 1);
    e.observeLine('[    6.1] Run /init as init process', 2);
    return e;
  };

  it.each([
    ['[    7.5] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100', /^kernel panic: /],
    ['You are in emergency mode. After logging in, type "journalctl -xb" to view', /^emergency mode: /],
    ['You are in rescue mode. After logging in, type "journalctl -xb"', /^rescue mode: /],
    ['Give root password for maintenance', /^root password prompt/],
    [plainText('[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mnr-ue.service\x1b[0m - UERANSIM 5G UE (nr-ue).'), /^required unit nr-ue.service failed: /],
    ['[DEPEND] Dependency failed for local-fs.target - Local File Systems.', /^required unit local-fs.target failed/],
  ])('ends the boot at once on %s', (line, message) => {
    const e = booted();
    e.observeLine(line, 3);
    expect(e.outcome).toMatchObject({ verdict: 'fail', stage: 'health' });
    expect((e.outcome as { message: string }).message).toMatch(message);
    expect(e.stages().find((s) => s.id === 'health')!.durationMs).toBe(3);
  });

  it('leaves a failed unit that is not required to the health judgement', () => {
    expect(fatalReason('[FAILED] Failed to start e2scrub_reap.service - Remove Stale Online ext4 Metadata.', REQUIRED)).toBeUndefined();
    expect(fatalReason('[FAILED] Failed to start e2scrub_reap.service - Remove Stale Online ext4 Metadata.', ['e2scrub_reap.service'])).toMatch(/e2scrub_reap/);
  });

  it('strips colour codes and carriage returns before matching', () => {
    expect(plainText('[\x1b[0;32m  OK  \x1b[0m] Reached target\r')).toBe('[  OK  ] Reached target');
  });
});

describe('stage budgets', () => {
  it('fails the stage whose group budget ran out, counting from when the group started', () => {
    const e = expectations();
    e.checkDeadline(59_999);
    expect(e.outcome).toBeUndefined();
    e.observeLine('Booting Linux on physical CPU 0x0', 50_000);
    e.checkDeadline(60_000);
    expect(e.outcome).toBeUndefined();
    expect(e.nextDeadline()).toBe(170_000);
    e.checkDeadline(170_000);
    expect(e.outcome).toEqual({ verdict: 'fail', stage: 'init', message: 'no init/systemd started within 120s' });
    expect(e.stages().map((s) => s.status)).toEqual(['pass', 'fail', 'skipped', 'skipped']);
  });

  it('names the missing one of health and login', () => {
    const e = expectations();
    e.observeLine('Booting Linux on physical CPU 0x0', 1);
    e.observeLine('systemd[1]: Hostname set to <vvehicle>.', 2);
    e.observePartial('vvehicle login: ', 3);
    e.checkDeadline(2 + 300_000);
    expect(e.outcome).toEqual({ verdict: 'fail', stage: 'health', message: 'no VVEHICLE-HEALTH line within 300s' });
  });

  it('abort() fails the current stage with the given reason', () => {
    const e = expectations();
    e.abort('QEMU exited (1) before the boot was decided', 5);
    expect(e.outcome).toEqual({ verdict: 'fail', stage: 'kernel', message: 'QEMU exited (1) before the boot was decided' });
  });
});

describe('the health line', () => {
  it('is found after a journal prefix and after a login prompt on the same line', () => {
    const line = 'vvehicle login: [  113.8] vvehicle-health[179]: VVEHICLE-HEALTH {"state":"running"}';
    expect(healthJsonIn(line)).toBe('{"state":"running"}');
    expect(healthJsonIn('VVEHICLE-HEALTH without json')).toBeUndefined();
  });

  it('fails the health stage when the JSON does not parse, with the reason', () => {
    const e = expectations();
    e.observeLine('Booting Linux on physical CPU 0x0', 1);
    e.observeLine('Run /init as init process', 2);
    e.observeLine('VVEHICLE-HEALTH {"state":"running","failed":[nr-ue.service]}', 3);
    expect(e.outcome).toMatchObject({ verdict: 'fail', stage: 'health' });
    expect((e.outcome as { message: string }).message).toMatch(/not valid JSON/);
  });
});

describe('the login prompt', () => {
  it('is seen when console output follows it on the same line in the same chunk', () => {
    const text = 'Booting Linux on physical CPU 0x0\nRun /init as init process\nvvehicle login: [  113.8] vvehicle-health[179]: VVEHICLE-HEALTH {"state":"running","failed":[],"ipv4":"10.0.2.15","units":{},"connman":false}\r\n';
    expect(replay(text, text.length).outcome).toEqual({ verdict: 'pass' });
  });

  it('is not a unit description or a log line that merely mentions logins', () => {
    const e = expectations();
    e.observeLine('Booting Linux on physical CPU 0x0', 1);
    e.observeLine('Run /init as init process', 2);
    e.observeLine('[  OK  ] Started systemd-logind.service - User Login Management.', 3);
    e.observeLine('getty-static.service - getty on tty2-tty6 if dbus and logind are not available', 4);
    expect(e.stages().find((s) => s.id === 'login')!.status).toBe('skipped');
  });
});
