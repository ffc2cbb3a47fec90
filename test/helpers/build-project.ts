import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/schema.js';
import { containersNamed, type Engine } from '../../src/tools/engine.js';
import { useEngine } from './engines.js';
import { makeFakeSources, writeProjectFile, type FakeSources } from './git-repos.js';
import { stubBuilderImage } from './stub-builder.js';

export const STUB_ENV = ['STUB_MARK', 'STUB_BITBAKE_LOG', 'STUB_DELAY', 'STUB_EXIT_CODE', 'STUB_GRAPH', 'STUB_GRAPH_LOG'];

export interface BuildProject {
  engine: Engine;
  config: string;
  fake: FakeSources;
  image: string;
  /** The flags every command that touches sources gets. */
  rewriteArgs: string[];
}

/** A project on `engine` whose sources are local git repos and whose builder image is the stub-bitbake image. */
export async function makeBuildProject(root: string, engine: Engine, edit: (c: Config) => void = () => {}): Promise<BuildProject> {
  const image = await stubBuilderImage(engine);
  const fake = await makeFakeSources(join(root, 'upstream'));
  const config = writeProjectFile(root, fake, (c) => {
    useEngine(c, engine);
    c.build.image = image;
    c.build.env = [...STUB_ENV];
    edit(c);
  });
  return { engine, config, fake, image, rewriteArgs: fake.rewriteFlags.flatMap((f) => ['--rewrite', f]) };
}

/** Container names vvehicle logged (`--name X`) in the bitbake logs of a work dir. */
export function loggedContainerNames(work: string): string[] {
  const logs = join(work, 'logs');
  return readdirSync(logs)
    .filter((f) => f.startsWith('bitbake-'))
    .flatMap((f) => [...readFileSync(join(logs, f), 'utf8').matchAll(/ --name (vvehicle-\S+)/g)].map((m) => m[1]!));
}

export async function leftoverContainers(engine: Engine, names: readonly string[]): Promise<string[]> {
  const all = await containersNamed(engine, 'vvehicle-');
  return all.filter((n) => names.includes(n));
}

/** Runs `fn` with some environment variables set, restoring them after. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}
