/**
 * Cold start: each function's bundle, its size, and the time from spawning a fresh Node.js
 * process to the end of its first handled invocation. Our functions are bundled by the deploy
 * step itself (scripts/package-bundles.ts), so what is measured is what is deployed; the
 * baselines are bundled here with the same esbuild options. A bundle runs with no
 * node_modules to fall back on, as in Lambda.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLE_BUILD_OPTIONS, bundleFunction } from '../scripts/package-bundles';
import { median } from './stats';

/** Who bundles an entry: the deploy step (our functions) or the bench (baselines). */
export const Bundler = { Deploy: 'deploy', Bench: 'bench' } as const;
export type Bundler = (typeof Bundler)[keyof typeof Bundler];

/** A handler to bundle and start cold. */
export interface ColdStartEntry {
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  bundler: Bundler;
  /** The event of its first invocation. */
  event: unknown;
  /** Environment of the fresh process (the function's configuration). */
  env: Record<string, string>;
}

/** One bundle's figures. */
export interface ColdStartFigure {
  name: string;
  entry: string;
  /** The JavaScript a cold start loads: `index.mjs` and the chunks it imports statically. */
  coldLoadedBytes: number;
  /** Every JavaScript file of the bundle, chunks loaded only by some configurations included. */
  totalJsBytes: number;
  /** What the cold-loaded JavaScript is made of, bytes by package (the project's own code as `project`), largest first. */
  coldLoadedByPackage: Record<string, number>;
  rounds: number;
  /** Spawn to the first invocation's result, median over rounds. */
  freshProcessToFirstInvocationMs: number;
  /** Of which: process start and module loading, until the handler could be called. */
  loadMs: number;
  /** Of which: the first invocation itself (connections included). */
  firstInvocationMs: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the baselines' bundles are written; ignored by git. */
const BUNDLE_DIR = join(ROOT, 'bench', '.tmp', 'bundles');

// Baselines are bundled with the deploy step's own options, so they are bundled exactly alike.
const BUILD_OPTIONS: BuildOptions = { ...BUNDLE_BUILD_OPTIONS, logLevel: 'error' };

async function bundleBaseline(entry: string, name: string): Promise<string> {
  const dir = join(BUNDLE_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  await build({ ...BUILD_OPTIONS, entryPoints: { index: join(ROOT, entry) }, outdir: dir });
  return dir;
}

/** Package of a bundled input path: `kafkajs`, `@aws-sdk/core`, or `project` for the repository's own files. */
export function packageOf(inputPath: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(inputPath);
  return match === null ? 'project' : (match[1] as string);
}

/** Bytes by package of what a cold start of `entry` loads, from an esbuild metafile of the same build. */
async function coldLoadedComposition(entry: string): Promise<Record<string, number>> {
  const result = await build({
    ...BUILD_OPTIONS,
    entryPoints: { index: join(ROOT, entry) },
    outdir: join(BUNDLE_DIR, 'metafile'),
    write: false,
    metafile: true,
  });
  const outputs = result.metafile?.outputs ?? {};
  const entryOutput = Object.keys(outputs).find((path) => path.endsWith('/index.mjs'));
  const reached = new Set<string>();
  const pending = entryOutput === undefined ? [] : [entryOutput];
  while (pending.length > 0) {
    const path = pending.pop() as string;
    if (reached.has(path)) continue;
    reached.add(path);
    for (const imported of outputs[path]?.imports ?? []) if (imported.kind === 'import-statement' && imported.external !== true) pending.push(imported.path);
  }
  const byPackage: Record<string, number> = {};
  for (const path of reached) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[path]?.inputs ?? {})) {
      byPackage[packageOf(input)] = (byPackage[packageOf(input)] ?? 0) + bytesInOutput;
    }
  }
  return Object.fromEntries(Object.entries(byPackage).sort((a, b) => b[1] - a[1]));
}

/** Relative modules a bundle file imports statically (`import ... from "./x.mjs"`, `import "./x.mjs"`), not `import()`. */
export function staticImports(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*)["'](\.{1,2}\/[^"']+)["']/g)) found.add(match[1] as string);
  return [...found];
}

/** Bytes of `entryFile` and every file it reaches through static imports. */
export function coldLoadedBytes(entryFile: string): number {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) visit(resolve(dirname(file), specifier));
  };
  visit(entryFile);
  return [...seen].reduce((sum, file) => sum + statSync(file).size, 0);
}

function totalJsBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.mjs'))
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

// Runs in the fresh process: loads the bundle, calls the handler once, reports its timings
// in milliseconds since the process started (performance.now()'s origin). The report line is
// marked, as the function's own logs go to stdout too.
const MARKER = 'bench-cold-start-report ';
const RUNNER = `
const MARKER = ${JSON.stringify(MARKER)};
const [bundlePath, eventJson] = process.argv.slice(1);
const mod = await import(bundlePath);
const loadedMs = performance.now();
const result = await mod.handler(JSON.parse(eventJson), { awsRequestId: 'cold-start', getRemainingTimeInMillis: () => 900000 });
const doneMs = performance.now();
process.stdout.write('\\n' + MARKER + JSON.stringify({ loadedMs, doneMs, result }) + '\\n');
process.exit(0);
`;

interface Run {
  totalMs: number;
  loadMs: number;
  firstInvocationMs: number;
}

async function coldRun(bundlePath: string, event: unknown, env: Record<string, string>, check: (result: unknown) => void): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, bundlePath, JSON.stringify(event)], {
    cwd: BUNDLE_DIR,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const start = stdout.indexOf(MARKER);
      const end = start < 0 ? -1 : stdout.indexOf('\n', start);
      if (end >= 0) resolve(stdout.slice(start + MARKER.length, end));
    });
    child.once('exit', (code) => reject(new Error(`cold start of ${bundlePath} exited (code ${code}): ${stderr.slice(-2000)}`)));
  });
  const totalMs = performance.now() - started;
  const report = JSON.parse(line) as { loadedMs: number; doneMs: number; result: unknown };
  check(report.result);
  await new Promise((resolve) => child.once('exit', resolve));
  return { totalMs, loadMs: report.loadedMs, firstInvocationMs: report.doneMs - report.loadedMs };
}

/**
 * Bundles each entry and starts it cold `rounds` times.
 *
 * @param check - throws when a first invocation's result is not a success.
 */
export async function measureColdStarts(
  entries: readonly ColdStartEntry[],
  rounds: number,
  check: (entry: ColdStartEntry, result: unknown) => void,
  onRun: (done: number, total: number) => void = () => undefined,
): Promise<ColdStartFigure[]> {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  // A package.json of its own, so that Node loads the bundles as ES modules whatever the repository says.
  if (!existsSync(join(BUNDLE_DIR, 'package.json'))) writeFileSync(join(BUNDLE_DIR, 'package.json'), '{"type":"module"}\n');
  const figures: ColdStartFigure[] = [];
  for (const entry of entries) {
    const dir = entry.bundler === Bundler.Deploy ? (await bundleFunction(ROOT, entry.entry)).dir : await bundleBaseline(entry.entry, entry.name);
    const indexFile = join(dir, 'index.mjs');
    const runs: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      runs.push(await coldRun(indexFile, entry.event, entry.env, (result) => check(entry, result)));
      onRun(entries.indexOf(entry) * rounds + round + 1, entries.length * rounds);
    }
    figures.push({
      name: entry.name,
      entry: entry.entry,
      coldLoadedBytes: coldLoadedBytes(indexFile),
      totalJsBytes: totalJsBytes(dir),
      coldLoadedByPackage: await coldLoadedComposition(entry.entry),
      rounds,
      freshProcessToFirstInvocationMs: median(runs.map((run) => run.totalMs)),
      loadMs: median(runs.map((run) => run.loadMs)),
      firstInvocationMs: median(runs.map((run) => run.firstInvocationMs)),
    });
  }
  return figures;
}
