/**
 * A pass-through HTTP proxy in front of the DynamoDB-compatible store that counts, per item
 * key, the writes to one table that the store accepted. It measures "each effect once" at
 * the wire, whatever the consumer's code does: a second accepted write of the same message
 * is a duplicated effect, while a conditional write the store refused is not an effect.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One write of the table that the store accepted, as the proxy saw it go by. */
export interface AcceptedWrite {
  /** The item's key value (the sink's `messageId`). */
  key: string;
  /** `PutItem`, `BatchWriteItem`, `UpdateItem` or `TransactWriteItems`. */
  operation: string;
  /** The proxied request that carried it, numbered from 1 in arrival order: two writes with one number are one request. */
  request: number;
  /** When the store's answer came back, epoch milliseconds. */
  acceptedAtMs: number;
  /** The written item's `processedAt`, when it had one (the consumer sets it once per attempt). */
  processedAt?: string;
}

/** A running counter. */
export interface SinkCounter {
  /** Endpoint to give the code under test instead of the store's. */
  endpoint: string;
  /** Accepted writes per key value. */
  writes(): ReadonlyMap<string, number>;
  /** Every accepted write, in the order the answers came back. */
  writeLog(): readonly AcceptedWrite[];
  close(): Promise<void>;
}

interface AttributeMap {
  [name: string]: { S?: string } | undefined;
}

/** A written key and, when the request carried it whole, the item. */
interface WrittenKey {
  key: string;
  item?: AttributeMap;
}

function keysOfWrite(target: string, request: Record<string, unknown>, response: Record<string, unknown>, table: string, keyName: string): WrittenKey[] {
  const keyOf = (item: AttributeMap | undefined): string | undefined => item?.[keyName]?.S;
  const written = (key: string | undefined, item?: AttributeMap): WrittenKey[] => (key === undefined ? [] : [{ key, ...(item === undefined ? {} : { item }) }]);
  if (target === 'PutItem' && request.TableName === table) return written(keyOf(request.Item as AttributeMap | undefined), request.Item as AttributeMap);
  if (target === 'UpdateItem' && request.TableName === table) return written(keyOf(request.Key as AttributeMap | undefined));
  if (target === 'BatchWriteItem') {
    const requested = ((request.RequestItems as Record<string, unknown[]> | undefined)?.[table] ?? []) as { PutRequest?: { Item?: AttributeMap } }[];
    const unprocessed = ((response.UnprocessedItems as Record<string, unknown[]> | undefined)?.[table] ?? []) as { PutRequest?: { Item?: AttributeMap } }[];
    const left = new Map<string, number>();
    for (const entry of unprocessed) {
      const key = keyOf(entry.PutRequest?.Item);
      if (key !== undefined) left.set(key, (left.get(key) ?? 0) + 1);
    }
    const keys: WrittenKey[] = [];
    for (const entry of requested) {
      const key = keyOf(entry.PutRequest?.Item);
      if (key === undefined) continue;
      const remaining = left.get(key) ?? 0;
      if (remaining > 0) left.set(key, remaining - 1);
      else keys.push(...written(key, entry.PutRequest?.Item));
    }
    return keys;
  }
  if (target === 'TransactWriteItems') {
    const items = (request.TransactItems ?? []) as { Put?: { TableName?: string; Item?: AttributeMap }; Update?: { TableName?: string; Key?: AttributeMap } }[];
    return items.flatMap((item) =>
      item.Put?.TableName === table ? written(keyOf(item.Put.Item), item.Put.Item) : item.Update?.TableName === table ? written(keyOf(item.Update.Key)) : [],
    );
  }
  return [];
}

/**
 * Starts the proxy on a free loopback port, forwarding to `upstream`. When the upstream is
 * down, the client's connection is dropped, as if the store itself were unreachable.
 */
export async function startSinkCounter(upstream: string, table: string, keyName = 'messageId'): Promise<SinkCounter> {
  const target = new URL(upstream);
  const counts = new Map<string, number>();
  const log: AcceptedWrite[] = [];
  let requests = 0;
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests += 1;
      const request = requests;
      const body = Buffer.concat(chunks);
      const forward = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (upstreamResponse) => {
          const answer: Buffer[] = [];
          upstreamResponse.on('data', (chunk: Buffer) => answer.push(chunk));
          upstreamResponse.on('end', () => {
            const responseBody = Buffer.concat(answer);
            if (upstreamResponse.statusCode === 200) {
              const operation =
                String(req.headers['x-amz-target'] ?? '')
                  .split('.')
                  .pop() ?? '';
              try {
                const parsedRequest = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
                const parsedResponse = JSON.parse(responseBody.toString('utf8') || '{}') as Record<string, unknown>;
                const acceptedAtMs = Date.now();
                for (const { key, item } of keysOfWrite(operation, parsedRequest, parsedResponse, table, keyName)) {
                  counts.set(key, (counts.get(key) ?? 0) + 1);
                  const processedAt = item?.processedAt?.S;
                  log.push({ key, operation, request, acceptedAtMs, ...(processedAt === undefined ? {} : { processedAt }) });
                }
              } catch {
                // Not a JSON operation; nothing to count.
              }
            }
            res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
            res.end(responseBody);
          });
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    writes: () => counts,
    writeLog: () => log,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
