/**
 * The REST Proxy routes this API serves, in one table: method and path (as API Gateway, the
 * local HTTP server and `docs/openapi.yaml` name them) to the operation that answers them.
 * Reads what an operation needs from an API Gateway HTTP API (payload v2) event; a Lambda
 * Function URL delivers the same shape. The caller is whoever API Gateway's authorizer
 * authenticated; the service decides what that context makes (see `caller.ts`).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MethodNotAllowedError, RouteNotFoundError, ValidationError } from '../errors';
import type { AuthorizerContext } from './caller';

/** Every operation of the API; the OpenAPI document's `operationId`s are the same. */
export const Operation = {
  ProduceToTopic: 'produceToTopic',
  ProduceToPartition: 'produceToPartition',
  ListTopics: 'listTopics',
  GetTopic: 'getTopic',
  ListPartitions: 'listPartitions',
  GetPartition: 'getPartition',
  ListClusters: 'listClusters',
  GetCluster: 'getCluster',
  ProduceRecords: 'produceRecords',
  ProduceRecordsBatch: 'produceRecordsBatch',
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

/** The REST Proxy API generation of a route: it decides the answers' media type. */
export type ApiVersion = 'v2' | 'v3';

/** One route of the table. */
export interface Route {
  method: 'GET' | 'POST';
  /** The path template, `{name}` for a parameter (one whole segment). */
  path: string;
  operation: Operation;
  api: ApiVersion;
}

/** The table: every route the API serves (serverless.yml declares the same ones). */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/topics', operation: Operation.ListTopics, api: 'v2' },
  { method: 'POST', path: '/topics/{topic}', operation: Operation.ProduceToTopic, api: 'v2' },
  { method: 'GET', path: '/topics/{topic}', operation: Operation.GetTopic, api: 'v2' },
  { method: 'GET', path: '/topics/{topic}/partitions', operation: Operation.ListPartitions, api: 'v2' },
  { method: 'POST', path: '/topics/{topic}/partitions/{partition}', operation: Operation.ProduceToPartition, api: 'v2' },
  { method: 'GET', path: '/topics/{topic}/partitions/{partition}', operation: Operation.GetPartition, api: 'v2' },
  { method: 'GET', path: '/v3/clusters', operation: Operation.ListClusters, api: 'v3' },
  { method: 'GET', path: '/v3/clusters/{cluster_id}', operation: Operation.GetCluster, api: 'v3' },
  { method: 'POST', path: '/v3/clusters/{cluster_id}/topics/{topic_name}/records', operation: Operation.ProduceRecords, api: 'v3' },
  { method: 'POST', path: '/v3/clusters/{cluster_id}/topics/{topic_name}/records:batch', operation: Operation.ProduceRecordsBatch, api: 'v3' },
];

/** API Gateway's route key of a route (`POST /topics/{topic}`). */
export function routeKeyOf(route: Route): string {
  return `${route.method} ${route.path}`;
}

/** The produce API's first route, as API Gateway names it. */
export const PRODUCE_ROUTE_KEY = 'POST /topics/{topic}';

/** A path matched against the table: the routes of that path and the raw (still percent-encoded) parameters. */
export interface PathMatch {
  /** The path template that matched, shared by all `routes`. */
  path: string;
  /** The routes of that path, one per method. */
  routes: Route[];
  /** Parameter values, still percent-encoded. */
  rawParams: Record<string, string>;
}

function segmentsOf(path: string): string[] | undefined {
  // One trailing slash is allowed, as on the first route; an empty segment anywhere else is no route.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (!trimmed.startsWith('/')) return undefined;
  const segments = trimmed.slice(1).split('/');
  return segments.some((segment) => segment === '') ? undefined : segments;
}

const TEMPLATES = new Map<string, { segments: string[]; routes: Route[] }>();
for (const route of ROUTES) {
  const entry = TEMPLATES.get(route.path) ?? { segments: route.path.slice(1).split('/'), routes: [] };
  entry.routes.push(route);
  TEMPLATES.set(route.path, entry);
}

/** The routes of `rawPath` and its parameters; undefined when no route has that path. */
export function matchPath(rawPath: string): PathMatch | undefined {
  const segments = segmentsOf(rawPath);
  if (segments === undefined) return undefined;
  for (const [path, template] of TEMPLATES) {
    if (template.segments.length !== segments.length) continue;
    const rawParams: Record<string, string> = {};
    let matched = true;
    for (let i = 0; i < segments.length && matched; i += 1) {
      const expected = template.segments[i] as string;
      const actual = segments[i] as string;
      if (expected.startsWith('{')) rawParams[expected.slice(1, -1)] = actual;
      else matched = expected === actual;
    }
    if (matched) return { path, routes: template.routes, rawParams };
  }
  return undefined;
}

/** What every operation reads from a request. */
export interface HttpRequest {
  route: Route;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
  /** The raw body bytes (decoded when API Gateway delivered it base64-encoded). */
  body: Buffer;
  /** What API Gateway's authorizer said of the caller; undefined without an authorizer. */
  authorizer: AuthorizerContext | undefined;
  /** `https://host` as the client reached the API, for the v3 resources' `self` links. */
  baseUrl: string;
}

/** API Gateway's id of the request (also in its access log), to find a request's log lines. */
export function requestIdOf(event: APIGatewayProxyEventV2): string {
  return event.requestContext?.requestId ?? 'unknown';
}

/** Case-insensitive header lookup; API Gateway lowercases names, other callers may not. */
export function headerValue(headers: APIGatewayProxyEventV2['headers'] | undefined, name: string): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

function decodeParams(rawParams: Record<string, string>, fromRoute: Record<string, string | undefined> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(rawParams)) {
    // API Gateway has decoded its own path parameters already.
    const given = fromRoute?.[name];
    if (given !== undefined) {
      params[name] = given;
      continue;
    }
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      throw new ValidationError(`${name}: the path segment is not valid percent-encoding`);
    }
  }
  return params;
}

function baseUrlOf(event: APIGatewayProxyEventV2): string {
  // API Gateway sets X-Forwarded-Proto (https); the local server sets it too (http).
  const protocol = headerValue(event.headers, 'x-forwarded-proto') ?? 'https';
  const host = headerValue(event.headers, 'host') ?? event.requestContext?.domainName ?? 'localhost';
  return `${protocol}://${host}`;
}

/**
 * Matches the event's method and path against {@link ROUTES} and extracts the request.
 *
 * @throws {RouteNotFoundError} for a path no route has; {@link MethodNotAllowedError} for a
 *   method its path does not serve; {@link ValidationError} for a parameter that is not valid
 *   percent-encoding.
 */
export function readHttpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const rawPath = event.rawPath ?? '';
  const match = matchPath(rawPath);
  if (match === undefined) throw new RouteNotFoundError(`no route for ${rawPath === '' ? '(no path)' : rawPath}; see the API's routes`);
  const method = event.requestContext?.http?.method?.toUpperCase();
  const route = match.routes.find((candidate) => candidate.method === method);
  const allowed = match.routes.map((candidate) => candidate.method);
  if (route === undefined) {
    throw new MethodNotAllowedError(`${method ?? 'this method'} is not allowed on ${match.path}; use ${allowed.join(' or ')}`, allowed);
  }
  const rawBody = event.body ?? '';
  return {
    route,
    params: decodeParams(match.rawParams, event.pathParameters),
    contentType: headerValue(event.headers, 'content-type'),
    idempotencyKey: headerValue(event.headers, 'idempotency-key'),
    // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
    body: Buffer.from(rawBody, event.isBase64Encoded ? 'base64' : 'utf8'),
    // The plain v2 event type has no authorizer; the authorizer's events add it.
    authorizer: event.requestContext as AuthorizerContext | undefined,
    baseUrl: baseUrlOf(event),
  };
}
