/**
 * `lib/` holds exactly what ships to Lambda: every file in it that has runtime code is part
 * of a function bundle, built with the deploy step's own esbuild options. Files with types
 * only (which compile to nothing) are the exception.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build, transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BUILD_OPTIONS } from '../../scripts/package-bundles';

const ROOT = join(import.meta.dirname, '..', '..');

async function libFiles(): Promise<string[]> {
  const entries = await readdir(join(ROOT, 'lib'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

/** Whether a TypeScript file compiles to no JavaScript at all (interfaces and types only). */
async function isTypeOnly(path: string): Promise<boolean> {
  const { code } = await transform(await readFile(join(ROOT, path), 'utf8'), { loader: 'ts', format: 'esm' });
  return code.trim() === '';
}

describe('lib/', () => {
  it('has every runtime file in a function bundle', async () => {
    const { metafile } = await build({
      ...BUNDLE_BUILD_OPTIONS,
      entryPoints: ['functions/produce.ts', 'functions/consume.ts'].map((entry) => join(ROOT, entry)),
      absWorkingDir: ROOT,
      outdir: join(ROOT, '.esbuild', 'layout-check'),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const bundled = new Set(Object.keys(metafile.inputs));
    const missing: string[] = [];
    for (const file of await libFiles()) if (!bundled.has(file) && !(await isTypeOnly(file))) missing.push(file);
    expect(missing).toEqual([]);
  });
});

describe('lib/config.ts and lib/errors.ts', () => {
  it.each(['lib/config.ts', 'lib/errors.ts'])('%s imports no door (lib/kafka, lib/dynamo, lib/aws) and nothing above it', async (file) => {
    const source = await readFile(join(ROOT, file), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
    expect(imports.filter((path) => /^\.\/(kafka|dynamo|aws|produce|consume|idempotency|http)\//.test(path ?? ''))).toEqual([]);
  });
});
