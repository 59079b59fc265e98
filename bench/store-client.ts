/** The parent's side of {@link ./store-process}: starts it and reads its request counts. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The counted store as the bench process sees it. */
export interface CountedStore {
  /** Endpoint to give every DynamoDB client of the run; requests to it are counted. */
  endpoint: string;
  /** The store itself (the same as `endpoint` when counting happens on its own server). */
  storeEndpoint: string;
  /** True when the child started dynalite itself. */
  started: boolean;
  /** Requests seen so far by operation name (for example `PutItem`). */
  snapshot(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Forks the store process: a dynalite of its own, or a proxy to `externalEndpoint` when given.
 *
 * @throws Error when the child fails before it is ready.
 */
export async function startCountedStore(externalEndpoint?: string): Promise<CountedStore> {
  const script = fileURLToPath(new URL('./store-process.ts', import.meta.url));
  const child: ChildProcess = fork(script, externalEndpoint === undefined ? [] : [externalEndpoint], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ endpoint: string; storeEndpoint: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench store exited (code ${code}) before it was ready`)));
    child.on('message', (message: { type?: string; endpoint?: string; storeEndpoint?: string }) => {
      if (message.type === 'ready') resolve({ endpoint: message.endpoint as string, storeEndpoint: message.storeEndpoint as string });
    });
  });
  let nextId = 0;
  const pending = new Map<number, (counts: Record<string, number>) => void>();
  child.on('message', (message: { type?: string; id?: number; counts?: Record<string, number> }) => {
    if (message.type !== 'counts' || message.id === undefined) return;
    pending.get(message.id)?.(message.counts ?? {});
    pending.delete(message.id);
  });
  return {
    ...ready,
    started: externalEndpoint === undefined,
    snapshot: () =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'snapshot', id });
      }),
    stop: async () => {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
