// Bundles the CLI into dist/cli.js (+ one chunk per lazily imported command under dist/chunks/) with esbuild.
// Why: `vvehicle plan` spent most of its start-up resolving, reading and compiling ~240 small ESM/CJS files
// (zod, yaml, semver, commander and our own); one file per command cuts that to a handful, and the commands' lazy
// `import()`s stay lazy (code splitting), so `plan` still never loads listr2, execa or handlebars.
// tsc still emits dist/ file by file first (typecheck, and the modules the bench imports); this overwrites cli.js.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// zod re-exports all its 64 message locales (~300 kB of source, a third of the bundle `plan` compiles at every
// start) as `z.locales`; vvehicle only ever shows English, zod's default. Its locale index becomes `en` alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: dirname(args.path) }));
  },
};
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
  // whitespace and syntax only: less text for V8 to scan and compile at every start; names stay readable in stacks
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // CommonJS dependencies (yaml, semver, handlebars) call require() for node builtins: give the ESM bundle one.
  plugins: [zodEnglishOnly],
  banner: { js: "import { createRequire as __vvehicleCreateRequire } from 'node:module'; const require = __vvehicleCreateRequire(import.meta.url);" },
});

// Every template precompiled (src/templates.ts uses an entry only while its sha256 matches the template's text):
// handlebars' parse + compile of ~35 templates was most of `vvehicle layer`'s own CPU time.
const { default: Handlebars } = await import('handlebars');
const { TEMPLATE_OPTIONS } = await import(join(root, 'dist', 'templates.js'));
const templatesDir = join(root, 'templates');
const entries = readdirSync(templatesDir, { recursive: true })
  .filter((f) => f.endsWith('.hbs'))
  .sort()
  .map((name) => {
    const text = readFileSync(join(templatesDir, name), 'utf8');
    const sha256 = createHash('sha256').update(text).digest('hex');
    return `  ${JSON.stringify(name)}: { sha256: ${JSON.stringify(sha256)}, spec: ${Handlebars.precompile(text, TEMPLATE_OPTIONS)} },`;
  });
writeFileSync(join(root, 'dist', 'templates.precompiled.cjs'), `// made by scripts/bundle.mjs from templates/: do not edit\nmodule.exports = {\n${entries.join('\n')}\n};\n`);

// The embedded default profile, loaded and validated once here (src/config/preloaded-default.ts): `vvehicle smoke`
// without a project file then starts QEMU without compiling yaml, zod and the schema.
const { loadConfig } = await import(join(root, 'dist', 'config', 'load.js'));
const { writePreloadedDefault } = await import(join(root, 'dist', 'config', 'preloaded-default.js'));
const emptyDir = mkdtempSync(join(tmpdir(), 'vvehicle-build-'));
try {
  writePreloadedDefault(loadConfig({ cwd: emptyDir }));
} finally {
  rmSync(emptyDir, { recursive: true, force: true });
}
