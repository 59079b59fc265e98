/**
 * Cold start: each function's bundle (minified, for Node.js 22 as Lambda runs it), its size,
 * and the time from spawning a fresh Node.js process to the end of its first handled
 * invocation. A bundle runs with no node_modules to fall back on, as in Lambda.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { median } from './stats';

/** A handler to bundle and start cold. */
export interface ColdStartEntry {
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  /** What it is compared with, by name, if anything. */
  baselineOf?: string;
  /** The event of its first invocation. */
  event: unknown;
  /** Environment of the fresh process (the function's configuration). */
  env: Record<string, string>;
}

/** One bundle's figures. */
export interface ColdStartFigure {
  name: string;
  entry: string;
  /** Minified bundle with every dependency inside, the AWS SDK too. */
  bundleBytes: number;
  /** The same with `@aws-sdk/*` left out, as Lambda's Node.js runtime provides it. */
  bundleBytesSdkExternal: number;
  rounds: number;
  /** Spawn to the first invocation's result, median over rounds. */
  freshProcessToFirstInvocationMs: number;
  /** Of which: process start and module loading, until the handler could be called. */
  loadMs: number;
  /** Of which: the first invocation itself (connections included). */
  firstInvocationMs: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where bundles are written; ignored by git. */
export const BUNDLE_DIR = join(ROOT, 'bench', '.tmp', 'bundles');

// ESM bundles of CommonJS dependencies (kafkajs, the AWS SDK) need `require` for Node's built-ins.
const REQUIRE_BANNER = "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);";

async function bundle(entry: string, outfile: string, sdkExternal: boolean): Promise<number> {
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: { js: REQUIRE_BANNER },
    external: sdkExternal ? ['@aws-sdk/*', '@smithy/*'] : [],
    logLevel: 'error',
  });
  return statSync(outfile).size;
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
): Promise<ColdStartFigure[]> {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  // A package.json of its own, so that Node loads the bundles as ES modules whatever the repository says.
  if (!existsSync(join(BUNDLE_DIR, 'package.json'))) writeFileSync(join(BUNDLE_DIR, 'package.json'), '{"type":"module"}\n');
  const figures: ColdStartFigure[] = [];
  for (const entry of entries) {
    const outfile = join(BUNDLE_DIR, entry.name, 'index.mjs');
    const bundleBytesSdkExternal = await bundle(entry.entry, join(BUNDLE_DIR, `${entry.name}-sdk-external`, 'index.mjs'), true);
    const bundleBytes = await bundle(entry.entry, outfile, false);
    const runs: Run[] = [];
    for (let round = 0; round < rounds; round++) runs.push(await coldRun(outfile, entry.event, entry.env, (result) => check(entry, result)));
    figures.push({
      name: entry.name,
      entry: entry.entry,
      bundleBytes,
      bundleBytesSdkExternal,
      rounds,
      freshProcessToFirstInvocationMs: median(runs.map((run) => run.totalMs)),
      loadMs: median(runs.map((run) => run.loadMs)),
      firstInvocationMs: median(runs.map((run) => run.firstInvocationMs)),
    });
  }
  return figures;
}
