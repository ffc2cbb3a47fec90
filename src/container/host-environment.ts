import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { BuildPlan } from '../plan/types.js';
import type { Mount } from './container-argv.js';
import { repoDir } from '../plan/repo-dir.js';

/**
 * What the build takes from the host environment, the way kas does: DL_DIR, SSTATE_DIR and
 * VVEHICLE_WORK_DIR (kas: KAS_WORK_DIR) override the defaults; proxy variables in either case pass through.
 * Read once by the command (the plan itself stays a pure function of what it is given).
 */
export const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'all_proxy'].flatMap((v) => [v, v.toUpperCase()]);

export interface HostPathOverrides {
  dlDir?: string;
  sstateDir?: string;
}

const UNSAFE = /["'\\\n\r`]|\$\{/;

function absoluteFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!isAbsolute(value)) throw new UserError(`${name}=${value} (environment): must be an absolute path`, `unset it, or export ${name}=/abs/path`);
  if (UNSAFE.test(value) || value.includes(':')) {
    throw new UserError(`${name} (environment): must not contain quotes, backslashes, backticks, ":", newlines or "\${" (it lands in conf/vvehicle.conf and a container mount)`);
  }
  return value.replace(/\/+$/, '') || '/';
}

/** DL_DIR and SSTATE_DIR from the environment, which win over build.dlDir/build.sstateDir (a machine's shared caches). */
export function hostPathOverrides(env: NodeJS.ProcessEnv): HostPathOverrides {
  const dlDir = absoluteFromEnv(env, 'DL_DIR');
  const sstateDir = absoluteFromEnv(env, 'SSTATE_DIR');
  return { ...(dlDir ? { dlDir } : {}), ...(sstateDir ? { sstateDir } : {}) };
}

/** Host variables the container gets by name: build.env, the proxies that are set, SSH_AUTH_SOCK when asked for. */
export function passedVariables(config: Config, env: NodeJS.ProcessEnv): string[] {
  const names = [...config.build.env, ...PROXY_VARIABLES.filter((v) => env[v] !== undefined)];
  if (config.build.sshAgent) names.push('SSH_AUTH_SOCK');
  return [...new Set(names)];
}

/**
 * Host paths the build reads besides the work dir's own: file:// premirrors and sstate mirrors, the object
 * stores the checkouts borrow from (git alternates of --reference-dir clones), the ssh-agent socket, and
 * build.mounts. Each is mounted at the same path; a missing one is refused before anything starts.
 */
export function hostMounts(config: Config, plan: BuildPlan, workDir: string, env: NodeJS.ProcessEnv): Mount[] {
  const mounts: Mount[] = [];
  const add = (path: string, readOnly: boolean, why: string) => {
    if (!existsSync(path)) throw new UserError(`${why}: ${path} does not exist on this host`, 'create it, or fix the setting');
    if (!mounts.some((m) => m.path === path)) mounts.push({ path, readOnly });
  };
  for (const url of [...config.build.premirrors, ...config.build.sstateMirrors]) {
    const file = /^file:\/\/(\/.*)$/.exec(url);
    if (file) add(file[1]!.replace(/\/+$/, '') || '/', true, `mirror ${url}`);
  }
  for (const repo of plan.repos) {
    for (const store of repo.kind === 'git' ? alternates(repoDir(workDir, repo)) : []) add(store, true, `${repo.name}: the reference objects its checkout borrows`);
  }
  if (config.build.sshAgent) {
    const sock = env.SSH_AUTH_SOCK;
    if (!sock) throw new UserError('build.sshAgent is true but SSH_AUTH_SOCK is not set', 'start an agent (eval $(ssh-agent); ssh-add), or set build.sshAgent: false');
    add(sock, false, 'SSH_AUTH_SOCK');
  }
  for (const m of config.build.mounts) {
    const [path, mode] = m.split(':');
    add(path!, mode !== 'rw', `build.mounts ${m}`);
  }
  return mounts;
}

function alternates(checkout: string): string[] {
  const file = join(checkout, '.git/objects/info/alternates');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('/'));
}
