import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { freePorts } from '../../src/host/free-ports.js';
import { command } from './fixtures/command.js';

/**
 * A real OpenSSH server of this test's own (Debian openssh-server, installed by install-host-deps.sh) on a
 * free loopback port, with a temp host key and one authorized client key for root: what `qemu+ssh://`
 * needs to reach this machine's libvirtd as if it were another server. Started as a child (-D), stopped
 * by its pid. The ssh client runs through a wrapper that keeps host keys in the temp dir, never in ~/.ssh.
 */
export interface Sshd {
  port: number;
  /** qemu+ssh://root@127.0.0.1:PORT/system?keyfile=…&no_verify=1&command=… */
  uri: string;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<Sshd> {
  const dir = mkdtempSync('/tmp/vvssh-'); // 0700, root's
  await command('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await command('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
  const [port] = await freePorts(1);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      'PidFile none',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // the keys live in a 0700 temp dir below /tmp, whose world-writable mode StrictModes refuses
      'StrictModes no',
      '',
    ].join('\n'),
  );
  const wrapper = join(dir, 'ssh');
  writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/ssh -o UserKnownHostsFile=${join(dir, 'known_hosts')} -o BatchMode=yes -o LogLevel=ERROR "$@"\n`);
  chmodSync(wrapper, 0o755);

  let log = '';
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (log += t));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port: port! }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  for (let i = 0; i < 100 && !(await listening()); i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited ${child.exitCode}:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: port!,
    uri: `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${join(dir, 'client_key')}&no_verify=1&command=${wrapper}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
