/**
 * A small node:http server that plays API Gateway's HTTP API for the local runtime: each
 * request becomes a payload v2 event, the handler's result becomes the HTTP response.
 * Event shape: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { systemClock, type Clock } from '../lib/clock';
import { InternalError, PayloadTooLargeError } from '../lib/errors';
import { errorAnswer, type ErrorAnswer } from '../lib/http/error-response';
import { KAFKA_V2_MEDIA_TYPE, KAFKA_V3_MEDIA_TYPE } from '../lib/http/json-response';
import { errorFields, type Logger } from '../lib/logger';
import { matchPath, routeKeyOf } from '../lib/produce/route';

/** The function behind the server: an HTTP API (payload v2) handler. */
export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  handler: HttpApiHandler;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /**
   * Largest body passed to the handler. A bigger one is refused with 413 while it streams in,
   * before it is buffered whole (the handler applies the exact limit itself).
   */
  maxBodyBytes: number;
  logger: Logger;
  clock?: Clock;
}

/** A listening server. */
export interface HttpServer {
  /** For example `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  /** Stops accepting connections and waits for requests in flight. */
  stop(): Promise<void>;
}

/** The response header API Gateway's HTTP API names the request by (`requestContext.requestId`). */
export const REQUEST_ID_HEADER = 'apigw-requestid';
const TEXT_TYPES = /^(text\/|application\/([\w.+-]*\+)?json\b|application\/(x-www-form-urlencoded|xml)\b)/i;
const ERROR_HEADERS = { 'content-type': KAFKA_V2_MEDIA_TYPE } as const;
/** The v3 routes answer errors in their own media type, as the produce function does. */
const V3_ERROR_HEADERS = { 'content-type': KAFKA_V3_MEDIA_TYPE } as const;

function errorHeadersFor(request: IncomingMessage): Record<string, string> {
  return (request.url ?? '').startsWith('/v3/') ? V3_ERROR_HEADERS : ERROR_HEADERS;
}
/** Longest a refused request's remaining body is drained before its connection is closed anyway. */
const DRAIN_AFTER_REFUSAL_MS = 5_000;

/**
 * Writes the whole answer. A text body is passed as a string: Node.js then sends the head and
 * the body in one write, where a Buffer body costs a copy into it and a second buffer to write.
 */
function send(response: ServerResponse, statusCode: number, headers: Record<string, string>, body: Buffer | string): void {
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  response.writeHead(statusCode, { ...headers, 'content-length': String(length) });
  response.end(body, 'utf8');
}

function sendError(response: ServerResponse, answer: ErrorAnswer): void {
  send(response, answer.statusCode, ERROR_HEADERS, JSON.stringify(answer.body));
}

/**
 * Answers a request refused before its body was read (413), then closes the connection.
 * The whole answer is written at once, so the client can read it; the connection is closed
 * only once the client has sent the rest of its body (read and dropped) or after
 * {@link DRAIN_AFTER_REFUSAL_MS}. Closing a socket that still holds unread bytes makes the
 * kernel send a TCP reset, which can reach the client before the answer and surface as
 * ECONNRESET instead of a 413.
 */
function refuse(request: IncomingMessage, response: ServerResponse, answer: ErrorAnswer): void {
  const body = Buffer.from(JSON.stringify(answer.body));
  response.writeHead(answer.statusCode, { ...errorHeadersFor(request), 'content-length': String(body.length), connection: 'close' });
  response.write(body);
  let timer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    clearTimeout(timer);
    if (!response.writableEnded) response.end();
  };
  if (request.readableEnded) {
    finish();
    return;
  }
  timer = setTimeout(finish, DRAIN_AFTER_REFUSAL_MS);
  request.once('end', finish);
  request.once('close', finish);
  request.once('error', finish);
  request.resume();
}

/**
 * Reads the body, refusing with {@link PayloadTooLargeError} as soon as it passes `limit` bytes.
 * After a refusal the stream keeps flowing (its data is dropped), so that the rest of the body
 * is drained rather than left unread: see {@link refuse}.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): PayloadTooLargeError => new PayloadTooLargeError(`the request body is larger than ${limit} bytes`);
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge());
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        parts.length = 0;
        reject(tooLarge());
        return;
      }
      parts.push(chunk);
    });
    request.once('end', () => resolve(Buffer.concat(parts)));
    request.once('error', reject);
  });
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    // Node lowercases names already; HTTP API joins repeated headers with commas.
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

/** Path parameters decoded as API Gateway decodes them; a segment that is not valid percent-encoding is passed as it is. */
function decodedParameters(rawParams: Record<string, string>): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [name, raw] of Object.entries(rawParams)) {
    try {
      parameters[name] = decodeURIComponent(raw);
    } catch {
      parameters[name] = raw;
    }
  }
  return parameters;
}

/** Builds the payload v2 event for a request and its body. */
function toHttpApiEvent(request: IncomingMessage, body: Buffer, nowMs: number): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const rawPath = url.pathname;
  const method = (request.method ?? 'GET').toUpperCase();
  const headers = headersOf(request);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const cookies = request.headers.cookie
    ?.split(';')
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
  // As API Gateway routes: the route's key and its decoded path parameters, or $default.
  const match = matchPath(rawPath);
  const route = match?.routes.find((candidate) => candidate.method === method);
  const routeKey = route === undefined ? '$default' : routeKeyOf(route);
  const pathParameters = route === undefined || match === undefined ? undefined : decodedParameters(match.rawParams);
  // API Gateway tells the function how the client reached it; here, plain HTTP.
  headers['x-forwarded-proto'] ??= 'http';
  const text = TEXT_TYPES.test(headers['content-type'] ?? '');
  const time = new Date(nowMs);
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies === undefined || cookies.length === 0 ? {} : { cookies }),
    headers,
    ...(Object.keys(query).length === 0 ? {} : { queryStringParameters: query }),
    ...(pathParameters === undefined ? {} : { pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: time.toISOString(),
      timeEpoch: nowMs,
    },
    ...(body.length === 0 ? {} : { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2): void {
  // A bare string or object result is what HTTP API calls a "simple" response: 200 JSON.
  if (typeof result === 'string' || result.statusCode === undefined) {
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    send(response, 200, { 'content-type': 'application/json' }, body);
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies !== undefined && result.cookies.length > 0) response.setHeader('set-cookie', result.cookies);
  const body = result.body ?? '';
  send(response, result.statusCode, headers, result.isBase64Encoded === true ? Buffer.from(body, 'base64') : body);
}

/**
 * Starts the server on `host:port` (loopback by default).
 *
 * @throws Error when the port cannot be bound.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { handler, logger } = options;
  const clock = options.clock ?? systemClock;
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    void (async () => {
      let body: Buffer;
      try {
        body = await readBody(request, options.maxBodyBytes);
      } catch (error) {
        refuse(request, response, errorAnswer(error));
        return;
      }
      try {
        const event = toHttpApiEvent(request, body, clock.nowMs());
        // As API Gateway does: the request id the function logs under, for finding one answer's log lines.
        response.setHeader(REQUEST_ID_HEADER, event.requestContext.requestId);
        writeResult(response, await handler(event));
      } catch (error) {
        logger.error('the HTTP handler threw', errorFields(error));
        // The handler answers its own errors, so a throw is a failure of the function itself: a bare 500.
        if (!response.headersSent) sendError(response, errorAnswer(new InternalError('the HTTP handler threw', { cause: error })));
        else response.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      return stopped;
    },
  };
}
