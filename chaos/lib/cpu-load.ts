/**
 * CPU load for `npm run chaos -- --repeat=N --under-load`: busy loops in worker threads of
 * the chaos process itself, so nothing needs installing (no stress-ng) and nothing outlives
 * the run. The threads are bounded in time by a lease the chaos process renews every second:
 * when it stops renewing (it stopped the load, hung, or was killed), each thread ends by
 * itself within `leaseMs`. Threads of a killed process die with it in any case.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** A running load. */
export interface CpuLoad {
  threads: number;
  /** Resolves once every thread has exited, stopped or at the end of its lease. */
  ended(): Promise<void>;
  /** Ends every thread and waits for them to exit. */
  stop(): Promise<void>;
}

/** Options of {@link startCpuLoad}. */
export interface CpuLoadOptions {
  threads: number;
  /** How long a thread runs on after the last renewal of its lease. */
  leaseMs?: number;
  /** How often the lease is renewed. */
  renewEveryMs?: number;
}

// Runs in each worker (CommonJS, as eval workers are): spin until the lease in the shared
// buffer (epoch ms) has passed, looking at the clock every few hundred thousand additions.
const BUSY_LOOP = `
const { workerData } = require('node:worker_threads');
const lease = new BigInt64Array(workerData.lease);
let sink = 0;
while (Date.now() < Number(Atomics.load(lease, 0))) {
  for (let i = 0; i < 200000; i += 1) sink += i;
}
`;

const EXIT_GRACE_MS = 2_000;

/** Starts `threads` busy loops; the caller must `stop()` them (they also end within the lease otherwise). */
export function startCpuLoad(options: CpuLoadOptions): CpuLoad {
  const leaseMs = options.leaseMs ?? 30_000;
  const lease = new BigInt64Array(new SharedArrayBuffer(8));
  const renew = (): void => {
    Atomics.store(lease, 0, BigInt(Date.now() + leaseMs));
  };
  renew();
  const renewal = setInterval(renew, options.renewEveryMs ?? 1_000);
  renewal.unref();
  const workers = Array.from({ length: options.threads }, () => {
    const worker = new Worker(BUSY_LOOP, { eval: true, workerData: { lease: lease.buffer } });
    worker.unref();
    return worker;
  });
  const exited = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
  const allExited = Promise.all(exited).then(() => clearInterval(renewal));
  let stopped: Promise<void> | undefined;
  return {
    threads: options.threads,
    ended: () => allExited,
    stop() {
      stopped ??= (async () => {
        clearInterval(renewal);
        Atomics.store(lease, 0, 0n);
        const timer = setTimeout(() => {
          for (const worker of workers) void worker.terminate();
        }, EXIT_GRACE_MS);
        await allExited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}

/** The one-minute load average (0 on systems without one). */
export function loadAverage(): number {
  return os.loadavg()[0] ?? 0;
}
