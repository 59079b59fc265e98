/**
 * Child process of a bench run: the DynamoDB-compatible store (dynalite, counting requests on
 * its own server), or, when an endpoint is given, a request-counting proxy in front of that
 * store. It runs apart from the code under
 * test so that the store's work does not share an event loop with the handlers being timed,
 * as a real DynamoDB would not. Talks to its parent over IPC:
 * it sends `{ type: 'ready', endpoint, storeEndpoint }`, answers `{ type: 'snapshot', id }` with
 * `{ type: 'counts', id, counts }`, and exits when the parent disconnects.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { countRequests, startDynamoCounter } from './dynamo-counter';

const require = createRequire(import.meta.url);
const targetArgument = process.argv[2];

interface Counted {
  endpoint: string;
  snapshot(): Record<string, number>;
}

// dynalite as local/dynamo-store.ts starts it (tables active at once), but with its server
// in hand: counting on the server itself costs nothing, where a proxy adds a hop per request.
async function startCountedDynalite(): Promise<Counted> {
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const counts: Record<string, number> = {};
  countRequests(server, counts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('dynalite has no address');
  return { endpoint: `http://127.0.0.1:${address.port}`, snapshot: () => ({ ...counts }) };
}

async function main(): Promise<void> {
  const counted: Counted = targetArgument === undefined ? await startCountedDynalite() : await startDynamoCounter(targetArgument);
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message.type === 'snapshot') process.send?.({ type: 'counts', id: message.id, counts: counted.snapshot() });
  });
  // The parent ending, for any reason, ends the store with it (in memory: nothing to keep).
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', endpoint: counted.endpoint, storeEndpoint: targetArgument ?? counted.endpoint });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench store failed: ${String(error)}\n`);
  process.exit(1);
});
