import { run, type RunOptions } from '../exec.js';

/**
 * The skopeo wrapper: talks to OCI registries without a container engine or daemon, so a publish
 * works the same for podman and docker users and needs no root. Every call is bounded by skopeo's
 * own --command-timeout, so a registry that accepts a connection and then says nothing cannot hang us.
 */
export interface RegistryAccess {
  /** false for plain-HTTP (or self-signed) registries, e.g. one on the loopback address. */
  tlsVerify: boolean;
  /** Upper bound of one skopeo call, in seconds. */
  timeoutSec: number;
}

export interface SkopeoFailure {
  failed: true;
  exitCode: number;
  /** skopeo's own last line: what the registry (or the network) said. */
  reason: string;
}

function globalArgs(access: RegistryAccess): string[] {
  return ['--command-timeout', `${access.timeoutSec}s`];
}

function runOptions(access: RegistryAccess, options: RunOptions): RunOptions {
  // execa's timeout is only the backstop should skopeo ignore its own
  return { ...options, timeoutMs: (access.timeoutSec + 15) * 1000, allowFailure: true };
}

function failure(r: { exitCode: number; stderr: string; stdout: string }): SkopeoFailure {
  const text = (r.stderr || r.stdout).trim();
  const last = text.split('\n').filter(Boolean).pop() ?? `skopeo exited ${r.exitCode}`;
  return { failed: true, exitCode: r.exitCode, reason: last.replace(/^time="[^"]*" level=\w+ msg="?/, '').replace(/"$/, '') };
}

/** The raw manifest bytes a reference resolves to (`docker://host/repo:tag`), or why not. */
export async function inspectRaw(ref: string, access: RegistryAccess, options: RunOptions = {}): Promise<{ failed: false; raw: string } | SkopeoFailure> {
  const r = await run('skopeo', [...globalArgs(access), 'inspect', '--raw', `--tls-verify=${access.tlsVerify}`, ref], runOptions(access, options));
  return r.failed ? failure(r) : { failed: false, raw: r.stdout };
}

/** The tags of a repository (`docker://host/repo`), or why not. */
export async function listTags(repoRef: string, access: RegistryAccess, options: RunOptions = {}): Promise<{ failed: false; tags: string[] } | SkopeoFailure> {
  const r = await run('skopeo', [...globalArgs(access), 'list-tags', `--tls-verify=${access.tlsVerify}`, repoRef], runOptions(access, options));
  if (r.failed) return failure(r);
  const parsed = JSON.parse(r.stdout) as { Tags?: string[] | null };
  return { failed: false, tags: parsed.Tags ?? [] };
}

/**
 * Copies an image as it is (`--preserve-digests`: skopeo fails rather than re-compress or rewrite the
 * manifest, so the digest we computed is the digest the registry stores). Returns the pushed digest.
 */
export async function copyImage(
  source: string,
  destination: string,
  access: RegistryAccess & { digestFile: string },
  options: RunOptions = {},
): Promise<{ failed: false } | SkopeoFailure> {
  const tls = `--tls-verify=${access.tlsVerify}`;
  const args = [...globalArgs(access), 'copy', '--preserve-digests', '--digestfile', access.digestFile];
  if (source.startsWith('docker://')) args.push(`--src-${tls.slice(2)}`);
  if (destination.startsWith('docker://')) args.push(`--dest-${tls.slice(2)}`);
  const r = await run('skopeo', [...args, source, destination], runOptions(access, options));
  return r.failed ? failure(r) : { failed: false };
}

/** Copies an image out of a registry into an OCI layout directory (what a consumer, or our test, pulls). */
export async function pullToLayout(ref: string, layoutDir: string, access: RegistryAccess, options: RunOptions = {}): Promise<{ failed: false } | SkopeoFailure> {
  const args = [...globalArgs(access), 'copy', `--src-tls-verify=${access.tlsVerify}`, ref, `oci:${layoutDir}:pulled`];
  const r = await run('skopeo', args, runOptions(access, options));
  return r.failed ? failure(r) : { failed: false };
}
