/**
 * Turns garbage HTTP requests into API Gateway HTTP API (payload v2) events, as API Gateway
 * or a Function URL would hand them to the produce function, and adds garbage that only
 * exists at that level: a body flagged base64 that is not, missing headers or body.
 */
import { matchPath } from '../../lib/produce/route';
import type { GarbageRequest } from './garbage-http';
import type { Prng } from './prng';

/** One generated API event with the statuses the contract allows for it. */
export interface GarbageApiEvent {
  kind: string;
  event: Record<string, unknown>;
  allowedStatuses: readonly number[];
}

interface ParsedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function parseRequest(bytes: Buffer): ParsedRequest {
  const headerEnd = bytes.indexOf('\r\n\r\n');
  const [requestLine = '', ...lines] = bytes.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const [method = 'POST', path = '/'] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    // API Gateway joins repeated headers with commas and lower-cases names.
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { method, path, headers, body: bytes.subarray(headerEnd + 4) };
}

function decodedOrRaw(rawParams: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(rawParams).map(([name, raw]) => {
      try {
        return [name, decodeURIComponent(raw)];
      } catch {
        return [name, raw];
      }
    }),
  );
}

/** The payload v2 event for a request; bodies that are not valid UTF-8 arrive base64, as API Gateway sends them. */
function apiEvent(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, base64 = false): Record<string, unknown> {
  const [rawPath = '/', rawQueryString = ''] = path.split('?');
  // As API Gateway fills them for a matched route: decoded, or as sent when they do not decode.
  const match = matchPath(rawPath);
  const pathParameters = match === undefined || !match.routes.some((route) => route.method === method) ? undefined : decodedOrRaw(match.rawParams);
  const text = body?.toString('utf8');
  const asBase64 = base64 || (body !== undefined && Buffer.compare(Buffer.from(text ?? '', 'utf8'), body) !== 0);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'chaos',
      domainName: 'chaos.example',
      domainPrefix: 'chaos',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'chaos' },
      requestId: 'chaos',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:00:00:00 +0000',
      timeEpoch: 1_795_737_600_000,
    },
    ...(pathParameters === undefined ? {} : { pathParameters }),
    ...(body === undefined ? {} : { body: asBase64 ? body.toString('base64') : text }),
    isBase64Encoded: asBase64,
  };
}

/** Converts garbage HTTP requests into API events, keeping their allowed statuses. */
export function toApiEvents(requests: readonly GarbageRequest[]): GarbageApiEvent[] {
  return requests.map((request) => {
    const parsed = parseRequest(request.bytes);
    let event: Record<string, unknown>;
    try {
      event = apiEvent(parsed.method, parsed.path, parsed.headers, parsed.body.length === 0 ? undefined : parsed.body);
    } catch {
      // A path that does not decode: API Gateway would hand it over undecoded.
      event = apiEvent(parsed.method, '/topics/undecodable', parsed.headers, parsed.body);
    }
    return { kind: request.kind, event, allowedStatuses: request.allowedStatuses };
  });
}

/** Garbage that only exists at the event level. */
export function apiOnlyGarbage(prng: Prng, topic: string, count: number): GarbageApiEvent[] {
  const json = { 'content-type': 'application/vnd.kafka.json.v2+json' };
  const valid = Buffer.from('{"records":[{"value":{"ok":true}}]}');
  const families: (() => GarbageApiEvent)[] = [
    () => ({
      kind: 'base64-flag-not-base64',
      event: { ...apiEvent('POST', `/topics/${topic}`, json, valid), body: '%%%not base64%%%', isBase64Encoded: true },
      allowedStatuses: [400],
    }),
    () => ({ kind: 'base64-of-garbage', event: apiEvent('POST', `/topics/${topic}`, json, prng.bytes(prng.int(1, 64)), true), allowedStatuses: [400, 422] }),
    () => ({ kind: 'no-body', event: apiEvent('POST', `/topics/${topic}`, json, undefined), allowedStatuses: [400, 422] }),
    () => ({ kind: 'no-headers', event: { ...apiEvent('POST', `/topics/${topic}`, {}, valid), headers: undefined }, allowedStatuses: [415] }),
    () => ({
      kind: 'no-path-parameters',
      event: { ...apiEvent('POST', `/topics/${topic}`, json, valid), pathParameters: undefined },
      allowedStatuses: [200, 404],
    }),
    () => ({
      kind: 'upper-case-header-names',
      event: apiEvent('POST', `/topics/${topic}`, { 'Content-Type': 'application/json' }, valid),
      allowedStatuses: [200, 415],
    }),
  ];
  return Array.from({ length: count }, (_, i) => (i < families.length ? (families[i] as () => GarbageApiEvent) : prng.pick(families))());
}

/**
 * Authorizer contexts that carry no usable caller identity, as a route or function URL left
 * without an authorizer, or a misconfigured one, would deliver them. In Lambda none may be
 * served; the contract answers 401.
 */
const NO_IDENTITY: Record<string, Record<string, unknown> | null | undefined> = {
  'no-authorizer': undefined,
  'null-authorizer': null,
  'empty-authorizer': {},
  'jwt-without-sub': { jwt: { claims: { iss: 'https://issuer.example.com/', aud: 'x' }, scopes: null } },
  'jwt-empty-sub': { jwt: { claims: { iss: 'https://issuer.example.com/', sub: '' }, scopes: null } },
  'jwt-without-iss': { jwt: { claims: { sub: 'user-1' }, scopes: null } },
  'jwt-null-claims': { jwt: { claims: null, scopes: null } },
  'iam-without-principal-id': { iam: { accountId: '123456789012', userArn: 'arn:aws:iam::123456789012:user/alice', callerId: null, userId: null } },
  'iam-empty-principal-id': { iam: { accountId: '123456789012', userId: '', callerId: '' } },
  'iam-non-string-principal-id': { iam: { userId: 42, callerId: ['AIDAEXAMPLE'] } },
  'lambda-authorizer-context': { lambda: { user: 'alice' } },
};

/** Valid produce requests, each with an authorizer context that names no caller (in Lambda: 401, never served). */
export function noIdentityGarbage(prng: Prng, topic: string, count: number): GarbageApiEvent[] {
  const json = { 'content-type': 'application/vnd.kafka.json.v2+json' };
  const kinds = Object.keys(NO_IDENTITY);
  return Array.from({ length: count }, (_, i) => {
    const kind = i < kinds.length ? (kinds[i] as string) : prng.pick(kinds);
    const event = apiEvent('POST', `/topics/${topic}`, json, Buffer.from(`{"records":[{"value":{"no-identity":${i}}}]}`));
    const authorizer = NO_IDENTITY[kind];
    if (authorizer !== undefined) (event.requestContext as Record<string, unknown>).authorizer = authorizer;
    return { kind: `identity:${kind}`, event, allowedStatuses: [401] };
  });
}
