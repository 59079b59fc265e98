/**
 * Bundles each Lambda entry point in `functions/` with esbuild into `.esbuild/<name>/` and
 * zips it as `.esbuild/<name>.zip`, the prebuilt artifacts serverless.yml points at.
 *
 * Output is ESM (`index.mjs`, which nodejs24.x loads natively), minified, with a linked
 * source map file that `NODE_OPTIONS=--enable-source-maps` uses for stack traces. Code only some
 * configurations need (the Secrets Manager client, the MSK IAM signer) is imported lazily and
 * lands in separate chunks, so a function pays for it only when it loads it.
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { zipSync, type Zippable } from 'fflate';

/** One built function. */
export interface BundleResult {
  name: string;
  /** Directory holding `index.mjs`, its chunks and source maps. */
  dir: string;
  zipPath: string;
  /** Size of `index.mjs` alone, in bytes. */
  entryBytes: number;
  /** Size of the JavaScript a cold start loads: `index.mjs` and the chunks it imports statically, in bytes. */
  coldStartBytes: number;
  /** Size of all JavaScript files, lazily loaded chunks included, in bytes. */
  jsBytes: number;
  zipBytes: number;
}

/** Where bundles are written, relative to the project root. */
const BUNDLE_ROOT = '.esbuild';

// esbuild turns kafkajs' CommonJS `require('crypto')` calls into a shim that needs a real
// `require` in ESM output; Node provides one through createRequire.
const requireShim = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** The esbuild options of every function bundle (entry point and output directory aside). */
export const BUNDLE_BUILD_OPTIONS = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // The AWS SDK's ES module builds tree-shake far better than its CommonJS ones.
  mainFields: ['module', 'main'],
  minify: true,
  // Error classes name themselves from new.target.name; logs and errors need the real names.
  keepNames: true,
  // Linked (not 'external'): Node finds the map through the sourceMappingURL comment.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'external',
  banner: { js: requireShim },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
} satisfies BuildOptions;

/** Bytes of `entry` and every output it reaches through static imports (dynamic imports load later, if ever). */
function staticallyLoadedBytes(outputs: Metafile['outputs'], entry: string): number {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    const output = outputs[path];
    if (output === undefined || seen.has(path)) return;
    seen.add(path);
    for (const imported of output.imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entry);
  return [...seen].reduce((total, path) => total + (outputs[path]?.bytes ?? 0), 0);
}

/**
 * Builds and zips one function.
 *
 * @param entry - path of the entry point, for example `functions/produce.ts`.
 */
export async function bundleFunction(root: string, entry: string): Promise<BundleResult> {
  const name = basename(entry, '.ts');
  const dir = join(root, BUNDLE_ROOT, name);
  await rm(dir, { recursive: true, force: true });
  const { metafile } = await build({
    ...BUNDLE_BUILD_OPTIONS,
    metafile: true,
    absWorkingDir: root,
    entryPoints: { index: join(root, entry) },
    outdir: dir,
  });
  const files = await filesUnder(dir);
  const zippable: Zippable = {};
  let jsBytes = 0;
  for (const file of files.sort()) {
    // A fixed timestamp keeps the zip, and so the deployed code hash, identical for identical code.
    zippable[relative(dir, file)] = [await readFile(file), { mtime: new Date('2020-01-01T00:00:00Z') }];
    if (file.endsWith('.mjs')) jsBytes += (await stat(file)).size;
  }
  const zipPath = join(root, BUNDLE_ROOT, `${name}.zip`);
  const zip = zipSync(zippable, { level: 9 });
  await writeFile(zipPath, zip);
  return {
    name,
    dir,
    zipPath,
    entryBytes: (await stat(join(dir, 'index.mjs'))).size,
    coldStartBytes: staticallyLoadedBytes(metafile.outputs, relative(root, join(dir, 'index.mjs'))),
    jsBytes,
    zipBytes: zip.byteLength,
  };
}

/** Builds every entry point in `functions/`. */
export async function bundleAll(root: string): Promise<BundleResult[]> {
  await mkdir(join(root, BUNDLE_ROOT), { recursive: true });
  const entries = (await readdir(join(root, 'functions'))).filter((file) => file.endsWith('.ts')).sort();
  const results: BundleResult[] = [];
  for (const file of entries) results.push(await bundleFunction(root, join('functions', file)));
  return results;
}
