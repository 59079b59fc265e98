/**
 * Reads what the produce API needs from an API Gateway HTTP API (payload v2) event; a Lambda
 * Function URL delivers the same shape. The caller is whoever API Gateway's authorizer
 * authenticated; the service decides what that context makes (see `caller.ts`).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MethodNotAllowedError, RouteNotFoundError, ValidationError } from '../errors';
import type { AuthorizerContext } from './caller';

/** The parts of a produce request, taken from the event. */
export interface ProduceHttpRequest {
  topic: string;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
  /** The raw body bytes (decoded when API Gateway delivered it base64-encoded). */
  body: Buffer;
  /** What API Gateway's authorizer said of the caller; undefined without an authorizer. */
  authorizer: AuthorizerContext | undefined;
}

/** The produce API's route as API Gateway names it (`serverless.yml` declares the same). */
export const PRODUCE_ROUTE_KEY = 'POST /topics/{topic}';

const TOPIC_PATH = /^\/topics\/([^/]+)\/?$/;

/**
 * The `{topic}` segment of a `/topics/{topic}` path (one trailing slash allowed), still
 * percent-encoded; undefined for any other path.
 */
export function topicSegmentOf(path: string): string | undefined {
  return TOPIC_PATH.exec(path)?.[1];
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

function topicOf(event: APIGatewayProxyEventV2): string | undefined {
  const fromRoute = event.pathParameters?.topic;
  if (fromRoute !== undefined) return fromRoute;
  // Stryker disable next-line StringLiteral: with no path there is no topic segment, in '' as in any text not starting with the route's prefix.
  const segment = topicSegmentOf(event.rawPath ?? '');
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ValidationError('topic: the path segment is not valid percent-encoding');
  }
}

/**
 * Matches `POST /topics/{topic}` and extracts the request.
 *
 * @throws {RouteNotFoundError} for another path; {@link MethodNotAllowedError} for another method.
 */
export function readProduceRequest(event: APIGatewayProxyEventV2): ProduceHttpRequest {
  const topic = topicOf(event);
  if (topic === undefined) throw new RouteNotFoundError(`no route for ${event.rawPath ?? '(no path)'}; use ${PRODUCE_ROUTE_KEY}`);
  const method = event.requestContext?.http?.method?.toUpperCase();
  if (method !== 'POST') throw new MethodNotAllowedError(`${method ?? 'this method'} is not allowed; use ${PRODUCE_ROUTE_KEY}`);
  const rawBody = event.body ?? '';
  return {
    topic,
    contentType: headerValue(event.headers, 'content-type'),
    idempotencyKey: headerValue(event.headers, 'idempotency-key'),
    // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
    body: Buffer.from(rawBody, event.isBase64Encoded ? 'base64' : 'utf8'),
    // The plain v2 event type has no authorizer; the authorizer's events add it.
    authorizer: event.requestContext as AuthorizerContext | undefined,
  };
}
