/**
 * Loads a built bundle (`.esbuild/<name>/index.mjs`, the code inside the zip) in a fresh
 * `node` process, as Lambda would, invokes its handler once, and reports the response and
 * how long the process took from its start to that first response.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ROOT, run } from './stack';

/** What one cold invocation returned. */
export interface ColdInvocation {
  response: unknown;
  /** From the process's start (`performance.timeOrigin`) to the handler's response, in ms. */
  coldStartMs: number;
  /** The same, measured outside: from spawning the process to its exit, in ms. */
  wallMs: number;
  /** The JSON lines the bundle wrote to stdout (its logs and EMF metrics), parsed. */
  stdoutJson: Record<string, unknown>[];
}

// Runs inside the child. It exits explicitly because a warm container's clients (the Kafka
// producer) keep the event loop alive, as they are meant to between invocations.
const RUNNER = `
const [bundleUrl, eventJson] = process.argv.slice(1);
const { handler } = await import(bundleUrl);
const response = await handler(JSON.parse(eventJson), { awsRequestId: 'bundle-test' });
process.stdout.write('RESULT ' + JSON.stringify({ response, coldStartMs: performance.now() }) + '\\n');
process.exit(0);
`;

/**
 * Invokes `.esbuild/<name>/index.mjs` once with `event` under exactly `env` (plus PATH).
 *
 * @throws Error with the child's output when it fails or prints no result.
 */
export async function invokeBundle(name: string, env: Record<string, string>, event: unknown): Promise<ColdInvocation> {
  const bundleUrl = pathToFileURL(join(ROOT, '.esbuild', name, 'index.mjs')).href;
  const startedMs = performance.now();
  const result = await run(process.execPath, ['--input-type=module', '--eval', RUNNER, bundleUrl, JSON.stringify(event)], {
    PATH: process.env.PATH ?? '',
    ...env,
  });
  const wallMs = performance.now() - startedMs;
  const line = result.stdout.split('\n').find((text) => text.startsWith('RESULT '));
  if (result.code !== 0 || line === undefined) {
    throw new Error(`bundle ${name} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  const { response, coldStartMs } = JSON.parse(line.slice('RESULT '.length)) as { response: unknown; coldStartMs: number };
  const stdoutJson = result.stdout
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .map((text) => JSON.parse(text) as Record<string, unknown>);
  return { response, coldStartMs, wallMs, stdoutJson };
}
