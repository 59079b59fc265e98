/**
 * A DynamoDB endpoint that accepts connections and never answers: every request is given up
 * after DYNAMODB_REQUEST_TIMEOUT_MS and tried 3 times in all, so a hung claim or renewal fails
 * within the lease instead of holding the invocation until its Lambda timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { createDynamoClient } from '../../../lib/dynamo/client';
import { StoreUnavailableError } from '../../../lib/errors';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';

describe('a DynamoDB request that never gets an answer', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let endpoint = '';

  beforeAll(async () => {
    server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    endpoint = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is given up after the request timeout, three tries in all, and fails as the store being unavailable', async () => {
    const config = loadConfig({ DYNAMODB_ENDPOINT: endpoint, DYNAMODB_REQUEST_TIMEOUT_MS: '200', AWS_REGION: 'us-east-1' });
    const store = new DynamoIdempotencyStore(createDynamoClient(config.aws), 'idempotency');
    const startedMs = Date.now();
    const claim = store.claim({ key: 'k', owner: 'o', payloadHash: 'h', leaseExpiresAtMs: startedMs + 30_000, expiresAtEpochSec: 4_000_000_000 }, startedMs);
    await expect(claim).rejects.toThrow(StoreUnavailableError);
    // 3 tries of 200 ms and the SDK's backoff between them (at most 100 ms, then 200 ms): far
    // below the 30 s lease, where without a timeout the request would wait for the socket.
    expect(Date.now() - startedMs).toBeLessThan(10_000);
    expect(sockets).toHaveLength(3);
  });
});
