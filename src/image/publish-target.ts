import { UserError } from '../errors.js';
import { isLoopbackHost } from '../host/address.js';

/** Where `publish --to` sends an image: a directory (the versioned layout) or an OCI registry repository. */
export type PublishTarget = { kind: 'dir'; path: string } | { kind: 'oci'; registry: string; repository: string; loopback: boolean };

export const OCI_SCHEME = 'oci://';

// the distribution reference grammar: lower-case path components separated by / with . _ __ - inside
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$/;

/** `oci://HOST[:PORT]/REPO` → the registry and repository; anything else is a directory. */
export function parsePublishTarget(to: string): PublishTarget {
  if (!to.startsWith(OCI_SCHEME)) return { kind: 'dir', path: to };
  const rest = to.slice(OCI_SCHEME.length);
  const slash = rest.indexOf('/');
  const registry = slash < 0 ? rest : rest.slice(0, slash);
  const repository = slash < 0 ? '' : rest.slice(slash + 1);
  const usage = 'write it as oci://HOST[:PORT]/REPO, e.g. oci://registry.lab.example:5000/agl/vvehicle-gateway (the version is the tag)';
  if (!HOST.test(registry)) throw new UserError(`--to ${to}: "${registry}" is not a registry host[:port]`, usage);
  if (repository.includes(':') || repository.includes('@')) throw new UserError(`--to ${to}: a tag or digest is not part of the target; the image's version is its tag`, usage);
  if (!REPOSITORY.test(repository)) throw new UserError(`--to ${to}: "${repository}" is not a repository name (lower-case path components)`, usage);
  return { kind: 'oci', registry, repository, loopback: isLoopbackHost(registry) };
}
