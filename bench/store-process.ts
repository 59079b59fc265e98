/**
 * Child process of a bench run: the DynamoDB-compatible store (dynalite, unless an endpoint is
 * given) with the request-counting proxy in front of it. It runs apart from the code under
 * test so that the store's work does not share an event loop with the handlers being timed,
 * as a real DynamoDB would not. Talks to its parent over IPC:
 * it sends `{ type: 'ready', endpoint, storeEndpoint }`, answers `{ type: 'snapshot', id }` with
 * `{ type: 'counts', id, counts }`, and exits when the parent disconnects.
 */
import { startDynamoStore } from '../lib/local/dynamo-store';
import { startDynamoCounter } from './dynamo-counter';

const targetArgument = process.argv[2];

async function main(): Promise<void> {
  const store = targetArgument === undefined ? await startDynamoStore() : undefined;
  const counter = await startDynamoCounter(targetArgument ?? (store?.endpoint as string));
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message.type === 'snapshot') process.send?.({ type: 'counts', id: message.id, counts: counter.snapshot() });
  });
  // The parent ending, for any reason, ends the store with it.
  process.on('disconnect', () => {
    void Promise.all([counter.close(), store?.stop()]).finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', endpoint: counter.endpoint, storeEndpoint: store?.endpoint ?? targetArgument });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench store failed: ${String(error)}\n`);
  process.exit(1);
});
