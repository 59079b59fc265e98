/**
 * Runs the local pipeline (`npm start`'s script) as a real child process, waits for its
 * `ready http=... kafka=... dynamodb=...` line, and kills or stops it on demand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../../lib/timeout';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY_LINE = /^ready http=(\S+) kafka=(\S+) dynamodb=(\S+)/;
const KEPT_OUTPUT_LINES = 5_000;

/** Addresses printed on the ready line. */
export interface ReadyAddresses {
  http: string;
  kafka: string;
  dynamodb: string;
}

/** A running pipeline process. */
export interface PipelineProcess extends ReadyAddresses {
  pid: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** True until the process has exited. */
  readonly alive: boolean;
  /** Sends SIGKILL and waits for the exit: a crash, nothing gets to clean up. */
  kill(): Promise<void>;
  /** Sends SIGTERM and waits for a clean exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** The last lines the process wrote, for diagnostics. */
  output(): string;
}

/** Options for {@link startPipeline}. */
export interface StartPipelineOptions {
  /** Environment on top of the parent's, e.g. KAFKA_BROKERS, DYNAMODB_ENDPOINT, PORT, table names. */
  env: Record<string, string>;
  readyTimeoutMs?: number;
  /** The script to run, relative to the repository (default `scripts/start.ts`, what `npm start` runs). */
  script?: string;
  /** Arguments after `--json`, e.g. `--function-timeout 10`. */
  args?: readonly string[];
}

/** Parses the ready line; undefined for any other line. */
export function parseReadyLine(line: string): ReadyAddresses | undefined {
  const match = READY_LINE.exec(line.trim());
  if (match === null) return undefined;
  return { http: match[1] as string, kafka: match[2] as string, dynamodb: match[3] as string };
}

const running = new Set<ChildProcess>();
// A chaos run that dies must not leave pipelines behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `scripts/start.ts` in a fresh Node process (tsx as a loader, no npm or tsx wrapper
 * process in between, so the pid is the pipeline itself and SIGKILL hits it directly).
 *
 * @throws Error with the process's last output when it exits or times out before ready.
 */
export async function startPipeline(options: StartPipelineOptions): Promise<PipelineProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', options.script ?? 'scripts/start.ts', '--json', ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const keep = (line: string): void => {
    lines.push(line);
    if (lines.length > KEPT_OUTPUT_LINES) lines.shift();
  };
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const ready = new Promise<ReadyAddresses>((resolve, reject) => {
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        keep(line);
        const addresses = parseReadyLine(line);
        if (addresses !== undefined) resolve(addresses);
        newline = pending.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line !== '') keep(line);
    });
    void exited.then((code) => reject(new Error(`pipeline exited (${code}) before ready:\n${lines.slice(-30).join('\n')}`)));
  });
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let addresses: ReadyAddresses;
  try {
    addresses = await withTimeout(ready, timeoutMs, () => new Error(`pipeline not ready after ${timeoutMs} ms:\n${lines.slice(-30).join('\n')}`));
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  const pid = child.pid ?? -1;
  return {
    ...addresses,
    pid,
    exited,
    get alive() {
      return alive;
    },
    async kill() {
      if (alive) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (alive) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    output: () => lines.join('\n'),
  };
}
