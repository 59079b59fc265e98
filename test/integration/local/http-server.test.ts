/**
 * The local HTTP server over real sockets, with handlers written here that capture the
 * event they get: requests become HTTP API payload v2 events, results become responses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { startHttpServer, type HttpServer } from '../../../local/http-server';
import { silentLogger } from '../../../lib/logger';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function serve(handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>, maxBodyBytes = 1_000): Promise<HttpServer> {
  const server = await startHttpServer({ handler, port: 0, maxBodyBytes, logger: silentLogger, clock: { nowMs: () => 1_700_000_000_000 } });
  servers.push(server);
  return server;
}

describe('local HTTP server', () => {
  it('turns a request into an HTTP API v2 event with lowercased headers, path parameters and a text body', async () => {
    let captured: APIGatewayProxyEventV2 | undefined;
    const server = await serve(async (event) => {
      captured = event;
      return { statusCode: 200, headers: { 'Content-Type': 'application/vnd.kafka.v2+json' }, body: '{"ok":true}' };
    });

    const response = await fetch(`${server.url}/topics/orders?a=1&b=2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.kafka.json.v2+json', 'Idempotency-Key': 'abc' },
      body: '{"records":[{"value":1}]}',
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.kafka.v2+json');
    expect(await response.json()).toEqual({ ok: true });
    // Named as API Gateway names it, so that an answer's log lines can be found.
    expect(response.headers.get('apigw-requestid')).toBe(captured?.requestContext.requestId);
    expect(captured?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(captured).toMatchObject({
      version: '2.0',
      routeKey: 'POST /topics/{topic}',
      rawPath: '/topics/orders',
      rawQueryString: 'a=1&b=2',
      queryStringParameters: { a: '1', b: '2' },
      pathParameters: { topic: 'orders' },
      headers: { 'content-type': 'application/vnd.kafka.json.v2+json', 'idempotency-key': 'abc' },
      body: '{"records":[{"value":1}]}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/topics/orders' }, stage: '$default', timeEpoch: 1_700_000_000_000 },
    });
  });

  it('names every route of the table as API Gateway does, with its decoded parameters, and tells the function it was reached over http', async () => {
    const captured: APIGatewayProxyEventV2[] = [];
    const server = await serve(async (event) => {
      captured.push(event);
      return { statusCode: 200, body: '{}' };
    });
    await fetch(`${server.url}/topics/orders/partitions/2`);
    await fetch(`${server.url}/v3/clusters/c%2D1/topics/orders/records:batch`, { method: 'POST', body: '{}' });
    await fetch(`${server.url}/v3/clusters/c-1/topics/orders/records`, { method: 'GET' });
    expect(captured.map((event) => [event.routeKey, event.pathParameters, event.headers['x-forwarded-proto']])).toEqual([
      ['GET /topics/{topic}/partitions/{partition}', { topic: 'orders', partition: '2' }, 'http'],
      ['POST /v3/clusters/{cluster_id}/topics/{topic_name}/records:batch', { cluster_id: 'c-1', topic_name: 'orders' }, 'http'],
      // A method the path does not serve is API Gateway's $default route: the function answers 405.
      ['$default', undefined, 'http'],
    ]);
  });

  it('answers a text body with its length in bytes, not characters, and every byte of it', async () => {
    // Two-, three- and four-byte UTF-8 characters: 12 UTF-16 code units, 17 bytes.
    const text = '{"n":"é€😀"}';
    const server = await serve(async () => ({ statusCode: 207, headers: { 'Content-Type': 'application/json' }, body: text }));

    const response = await fetch(`${server.url}/topics/orders`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(207);
    expect(response.headers.get('content-length')).toBe('17');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(text, 'utf8'));
  });

  it('passes a binary body base64-encoded and returns a base64 result as bytes', async () => {
    let captured: APIGatewayProxyEventV2 | undefined;
    const server = await serve(async (event) => {
      captured = event;
      return { statusCode: 201, body: Buffer.from([0, 255, 1]).toString('base64'), isBase64Encoded: true };
    });

    const response = await fetch(`${server.url}/other`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array([1, 2, 250]),
    });

    expect(response.status).toBe(201);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0, 255, 1]);
    expect(captured?.routeKey).toBe('$default');
    expect(captured?.pathParameters).toBeUndefined();
    expect(captured?.body).toBe('AQL6');
    expect(captured?.isBase64Encoded).toBe(true);
  });

  it('answers 413 with the contract error shape, without calling the handler, when the body passes the cap', async () => {
    let calls = 0;
    const server = await serve(async () => {
      calls += 1;
      return { statusCode: 200, body: '' };
    }, 10);

    const response = await fetch(`${server.url}/topics/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(11) });

    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/vnd.kafka.v2+json');
    expect(await response.json()).toEqual({ error_code: 41301, message: 'the request body is larger than 10 bytes' });
    expect(calls).toBe(0);

    // A v3 route's 413 comes in the v3 media type, as the function's own answers do.
    const v3 = await fetch(`${server.url}/v3/clusters/c/topics/orders/records`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(11),
    });
    expect(v3.status).toBe(413);
    expect(v3.headers.get('content-type')).toBe('application/json');
  });

  it('stops a chunked body that passes the cap while it streams', async () => {
    const server = await serve(async () => ({ statusCode: 200, body: '' }), 10);
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = request(`${server.url}/topics/orders`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      outgoing.on('error', reject);
      outgoing.write('12345678');
      outgoing.write('12345678');
      outgoing.end();
    });
    expect(status).toBe(413);
  });

  /** Sends a whole body the server refuses, declared or chunked, and returns all the server wrote back. */
  async function sendWholeOversizedBody(port: number, bodyBytes: number, chunked: boolean): Promise<string> {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    return new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (data) => received.push(data));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
      const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${bodyBytes}`;
      socket.write(`POST /topics/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`);
      let sent = 0;
      const more = (): void => {
        while (sent < bodyBytes) {
          sent += chunk.length;
          const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
          if (!ok) {
            socket.once('drain', more);
            return;
          }
        }
        if (chunked) socket.end('0\r\n\r\n');
        else socket.end();
      };
      more();
    });
  }

  it.each([
    ['a declared length', false],
    ['chunked', true],
  ])('lets a client that keeps sending an oversized body (%s) read its 413 instead of a connection reset', async (_, chunked) => {
    const server = await serve(async () => ({ statusCode: 200, body: '' }), 1_000);
    // Clients in turn, each sending its whole body after the server refused it.
    for (let client = 0; client < 10; client += 1) {
      const answer = await sendWholeOversizedBody(server.port, 4 * 1024 * 1024, chunked);
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
      expect(answer.endsWith('{"error_code":41301,"message":"the request body is larger than 1000 bytes"}')).toBe(true);
    }
  });

  it('answers 500 with the error shape when the handler throws', async () => {
    const server = await serve(async () => {
      throw new Error('boom');
    });
    const response = await fetch(`${server.url}/topics/x`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error_code: 50002, message: 'internal error' });
  });
});
