import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { imageInfo } from '../tools/qemu-img.js';
import { MANIFEST_SCHEMA_VERSION, manifestSchema, type Manifest, type ManifestArtifact } from './manifest-schema.js';
import { sha256File } from './sha256.js';

/** Reads and validates a manifest.json; anything that is not a valid manifest is a user error. */
export function readManifestFile(file: string): Manifest {
  const path = resolve(file);
  if (!existsSync(path)) throw new UserError(`${path} does not exist`, 'run `vvehicle manifest` first, or pass the manifest.json to check');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`${path} is not JSON: ${(error as Error).message}`);
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version < MANIFEST_SCHEMA_VERSION) {
    throw new UserError(
      `${path} is a schema ${version} manifest; this vvehicle reads schema ${MANIFEST_SCHEMA_VERSION} (it publishes what the image's UE asks the 5G core for)`,
      'write the manifest again with this vvehicle (`vvehicle manifest`, then `vvehicle publish`) from the same build',
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new UserError(`${path} is not a valid vvehicle manifest:\n${lines.join('\n')}`, 'schemas/manifest.schema.json describes the format');
  }
  return parsed.data;
}

export interface VerifiedArtifact {
  role: string;
  path: string;
  size: number;
}

export interface VerifyReporter {
  artifact(artifact: ManifestArtifact, index: number, total: number): void;
  bytes(done: number, total: number): void;
}

/** What `checkManifest` found: the manifest, the artifacts that match, one line per artifact that does not. */
export interface ManifestCheck {
  manifest: Manifest;
  verified: VerifiedArtifact[];
  /** Empty when every artifact matches; each line names its artifact ("disk x.qcow2: sha256 … does not match …"). */
  problems: string[];
}

/**
 * Re-hashes every artifact a manifest names (paths relative to the manifest) and, for the disk,
 * asks qemu-img whether it still is the qcow2 described. Never throws for a changed artifact, so a
 * caller deciding per image (fleet up, before it boots anything) gets the list; a manifest that cannot
 * be read at all is still a UserError naming the file.
 */
export async function checkManifest(file: string, report?: VerifyReporter, signal?: AbortSignal): Promise<ManifestCheck> {
  const manifest = readManifestFile(file);
  const dir = dirname(resolve(file));
  const problems: string[] = [];
  const verified: VerifiedArtifact[] = [];
  for (const [index, a] of manifest.artifacts.entries()) {
    report?.artifact(a, index, manifest.artifacts.length);
    const path = join(dir, a.path);
    const label = `${a.role} ${a.path}`;
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st?.isFile()) {
      problems.push(`${label}: missing`);
      continue;
    }
    if (st.size !== a.size) {
      problems.push(`${label}: size ${st.size} bytes, manifest says ${a.size}`); // cannot match: no need to hash it
      continue;
    }
    const actual = await sha256File(path, (done) => report?.bytes(done, st.size), signal);
    if (actual !== a.sha256) {
      problems.push(`${label}: sha256 ${actual} does not match the manifest's ${a.sha256}`);
      continue;
    }
    if (a.role === 'disk') {
      const info = await imageInfo(path, 'qcow2', { signal });
      if (info.virtualSize !== a.virtualSize || info.clusterSize !== a.clusterSize || info.compat !== a.compat) {
        problems.push(`${label}: qemu-img reports virtual size ${info.virtualSize}, cluster ${info.clusterSize}, compat ${info.compat}; manifest says ${a.virtualSize}, ${a.clusterSize}, ${a.compat}`);
      }
    }
    verified.push({ role: a.role, path: a.path, size: a.size });
  }
  return { manifest, verified, problems };
}

/** `checkManifest`, with any changed artifact a UserError (exit 2) listing every problem. */
export async function verifyManifest(file: string, report?: VerifyReporter, signal?: AbortSignal): Promise<{ manifest: Manifest; verified: VerifiedArtifact[] }> {
  const { manifest, verified, problems } = await checkManifest(file, report, signal);
  if (problems.length) {
    throw new UserError(`${resolve(file)}: ${problems.length} artifact(s) do not match:\n  ${problems.join('\n  ')}`, 'the files changed after the manifest was written: rebuild or republish them, never edit the manifest');
  }
  return { manifest, verified };
}
