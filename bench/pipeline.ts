/**
 * The local pipeline as `npm start` runs it (scripts/start.ts), in a child process of the
 * bench: its HTTP server is the "local HTTP server" produce subject, and the whole pipeline is
 * the end-to-end subject. Using the public ready line keeps the bench independent of how the
 * runtime is wired inside.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const READY_LINE = /^ready http=(\S+) kafka=(\S+) dynamodb=(\S+)/;

/** A running local pipeline. */
export interface Pipeline {
  /** Base URL of its HTTP server, for example `http://127.0.0.1:3000`. */
  httpUrl: string;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** True when this checkout has the local pipeline's start script. */
export function hasPipeline(): boolean {
  return existsSync(join(ROOT, 'scripts', 'start.ts'));
}

/**
 * Starts scripts/start.ts with `env` on top of the bench's environment and waits for its ready line.
 * `nodeArgs` go to its Node.js process (for example `--cpu-prof`, which NODE_OPTIONS refuses).
 *
 * @throws Error with its last output when it exits or is not ready within `readyTimeoutMs`.
 */
export async function startPipeline(env: Record<string, string>, readyTimeoutMs = 120_000, nodeArgs: readonly string[] = []): Promise<Pipeline> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: string): void => {
    tail.push(...chunk.split('\n'));
    tail.splice(0, Math.max(0, tail.length - 40));
  };
  child.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the local pipeline was not ready within ${readyTimeoutMs} ms:\n${tail.join('\n')}`));
    }, readyTimeoutMs);
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      keep(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = READY_LINE.exec(line.trim());
        if (match !== null) {
          clearTimeout(timer);
          resolve(match[1] as string);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local pipeline exited (code ${code}) before it was ready:\n${tail.join('\n')}`));
    });
  });
  // Its output is not needed after the ready line, but the pipes must keep draining.
  child.stdout.resume();
  return {
    httpUrl,
    stop: async (graceMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
