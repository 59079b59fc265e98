/**
 * The bench's HTTP client: node:http over one kept-alive connection. Global fetch (undici)
 * costs about 0.6-0.85 ms more per request on this loopback path than node:http does against
 * the same server (bench/http-probe.ts), which is the client's cost, not the server's; a
 * produce request at 100 records takes 3-4 ms in all, so fetch alone would move the local
 * HTTP server's ratio by about 0.1.
 */
import { Agent, request } from 'node:http';

/** A response, its body read whole. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** POSTs bodies to one URL, one request at a time over a kept-alive connection. */
export interface HttpPoster {
  /** @throws Error when the connection fails. */
  post(body: string | Buffer, headers: Record<string, string>): Promise<HttpAnswer>;
  close(): void;
}

/** Creates a {@link HttpPoster} for `url` (http only: the bench talks to loopback). */
export function createHttpPoster(url: string): HttpPoster {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    post: (body, headers) =>
      new Promise<HttpAnswer>((resolve, reject) => {
        const payload = typeof body === 'string' ? Buffer.from(body) : body;
        const outgoing = request(
          {
            agent,
            host: target.hostname,
            port: target.port,
            path: `${target.pathname}${target.search}`,
            method: 'POST',
            headers: { ...headers, 'content-length': String(payload.length) },
          },
          (response) => {
            const parts: Buffer[] = [];
            response.on('data', (chunk: Buffer) => parts.push(chunk));
            response.once('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
            response.once('error', reject);
          },
        );
        outgoing.once('error', reject);
        outgoing.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
