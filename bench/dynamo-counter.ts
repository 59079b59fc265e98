/**
 * Counts DynamoDB requests by operation, from outside the code under test, by each request's
 * `X-Amz-Target` header (the DynamoDB JSON protocol names the operation there). Either on the
 * store's own HTTP server ({@link countRequests}) or, for a store elsewhere, in a loopback proxy
 * that forwards requests unchanged ({@link startDynamoCounter}). Production code and the
 * baseline just point their endpoint at it, so neither needs an instrumented client.
 */
import http, { type IncomingMessage, type Server } from 'node:http';

/** A counting proxy in front of a DynamoDB-compatible endpoint. */
export interface DynamoCounter {
  /** The proxy's endpoint, to give to clients instead of the store's. */
  endpoint: string;
  /** Requests seen so far by operation name (for example `PutItem`). */
  snapshot(): Record<string, number>;
  close(): Promise<void>;
}

/** Requests per operation that happened between two snapshots, zero counts left out. */
export function countsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after)) {
    const added = count - (before[operation] ?? 0);
    if (added > 0) delta[operation] = added;
  }
  return delta;
}

/** The operation a DynamoDB request names, for example `PutItem`. */
function operationOf(request: IncomingMessage): string {
  const amzTarget = request.headers['x-amz-target'];
  return typeof amzTarget === 'string' ? (amzTarget.split('.').pop() ?? amzTarget) : 'unknown';
}

/** Counts every request `server` receives, by operation, into `counts`; no extra hop. */
export function countRequests(server: Server, counts: Record<string, number>): void {
  server.prependListener('request', (request: IncomingMessage) => {
    const operation = operationOf(request);
    counts[operation] = (counts[operation] ?? 0) + 1;
  });
}

/** Sum of all operations' counts. */
export function totalRequests(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/**
 * Starts the proxy on a free loopback port, forwarding to `targetEndpoint`.
 *
 * @throws Error when `targetEndpoint` is not an http URL.
 */
export async function startDynamoCounter(targetEndpoint: string): Promise<DynamoCounter> {
  const target = new URL(targetEndpoint);
  if (target.protocol !== 'http:') throw new Error(`the counting proxy forwards to http only, got ${targetEndpoint}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const counts: Record<string, number> = {};
  const server = http.createServer((request, response) => {
    const operation = operationOf(request);
    counts[operation] = (counts[operation] ?? 0) + 1;
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        // The SDK signs the Host header; dynalite does not check signatures, so forwarding it as is is fine.
        headers: request.headers,
        agent,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
    request.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('counting proxy has no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    snapshot: () => ({ ...counts }),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
