import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRequests, countsBetween, startDynamoCounter, totalRequests } from '../../../bench/dynamo-counter';

describe('request counting by X-Amz-Target', () => {
  const counts: Record<string, number> = {};
  const server = http.createServer((_, response) => response.end('{}'));
  let endpoint = '';

  beforeAll(async () => {
    countRequests(server, counts);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address() as { port: number };
    endpoint = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const send = async (target: string | undefined, url = endpoint): Promise<void> => {
    const response = await fetch(url, { method: 'POST', headers: target === undefined ? {} : { 'x-amz-target': target }, body: '{}' });
    await response.text();
  };

  it('counts requests on the server by operation', async () => {
    await send('DynamoDB_20120810.PutItem');
    await send('DynamoDB_20120810.PutItem');
    await send('DynamoDB_20120810.BatchWriteItem');
    await send(undefined);
    expect(counts).toEqual({ PutItem: 2, BatchWriteItem: 1, unknown: 1 });
  });

  it('counts through the proxy and forwards to the store', async () => {
    const proxy = await startDynamoCounter(endpoint);
    try {
      const before = { ...counts };
      await send('DynamoDB_20120810.GetItem', proxy.endpoint);
      expect(proxy.snapshot()).toEqual({ GetItem: 1 });
      expect(countsBetween(before, counts)).toEqual({ GetItem: 1 });
    } finally {
      await proxy.close();
    }
  });

  it('subtracts snapshots, leaving out operations that did not change', () => {
    expect(countsBetween({ PutItem: 2, GetItem: 1 }, { PutItem: 5, GetItem: 1, Query: 1 })).toEqual({ PutItem: 3, Query: 1 });
    expect(totalRequests({ PutItem: 3, Query: 1 })).toBe(4);
  });
});
