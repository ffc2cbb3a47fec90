// Bundles the CLI into dist/cli.js (+ one chunk per lazily imported command under dist/chunks/) with esbuild.
// Why: `vvehicle plan` spent most of its start-up resolving, reading and compiling ~240 small ESM/CJS files
// (zod, yaml, semver, commander and our own); one file per command cuts that to a handful, and the commands' lazy
// `import()`s stay lazy (code splitting), so `plan` still never loads listr2, execa or handlebars.
// tsc still emits dist/ file by file first (typecheck, and the modules the bench imports); this overwrites cli.js.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: { cli: join(root, 'src', 'cli.ts') },
  outdir: join(root, 'dist'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // CommonJS dependencies (yaml, semver, handlebars) call require() for node builtins: give the ESM bundle one.
  banner: { js: "import { createRequire as __vvehicleCreateRequire } from 'node:module'; const require = __vvehicleCreateRequire(import.meta.url);" },
});
