/** The route table, and reading a request out of an API Gateway v2 event. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MethodNotAllowedError, RouteNotFoundError, ValidationError } from '../../../lib/errors';
import { headerValue, matchPath, PRODUCE_ROUTE_KEY, readHttpRequest, requestIdOf, ROUTES, routeKeyOf } from '../../../lib/produce/route';

const event = (fields: Record<string, unknown>): APIGatewayProxyEventV2 => fields as unknown as APIGatewayProxyEventV2;
const post = { requestContext: { http: { method: 'post' } } };
const get = { requestContext: { http: { method: 'GET' } } };

describe('matchPath', () => {
  it.each([
    ['/topics', 'GET /topics', {}],
    ['/topics/', 'GET /topics', {}],
    ['/topics/orders', 'POST /topics/{topic}', { topic: 'orders' }],
    ['/topics/orders/', 'POST /topics/{topic}', { topic: 'orders' }],
    ['/topics/caf%C3%A9', 'POST /topics/{topic}', { topic: 'caf%C3%A9' }],
    ['/topics/orders/partitions', 'GET /topics/{topic}/partitions', { topic: 'orders' }],
    ['/topics/orders/partitions/2', 'POST /topics/{topic}/partitions/{partition}', { topic: 'orders', partition: '2' }],
    ['/v3/clusters', 'GET /v3/clusters', {}],
    ['/v3/clusters/abc', 'GET /v3/clusters/{cluster_id}', { cluster_id: 'abc' }],
    ['/v3/clusters/abc/topics/orders/records', 'POST /v3/clusters/{cluster_id}/topics/{topic_name}/records', { cluster_id: 'abc', topic_name: 'orders' }],
    [
      '/v3/clusters/abc/topics/orders/records:batch',
      'POST /v3/clusters/{cluster_id}/topics/{topic_name}/records:batch',
      { cluster_id: 'abc', topic_name: 'orders' },
    ],
  ])('%j is a path of %s', (path, routeKey, rawParams) => {
    const match = matchPath(path);
    expect(match?.routes.map(routeKeyOf)).toContain(routeKey);
    expect(match?.rawParams).toEqual(rawParams);
  });

  it.each([
    '',
    '/',
    '/topics//',
    '//topics/orders',
    '/topic/orders',
    '/topics/orders/partitions/0/x',
    '/v3',
    '/v3/clusters/abc/topics/orders',
    '/v3/clusters/abc/topics/orders/records:other',
  ])('%j is no route', (path) => {
    expect(matchPath(path)).toBeUndefined();
  });

  it('names the first route as serverless.yml declares it, and has ten routes', () => {
    expect(PRODUCE_ROUTE_KEY).toBe('POST /topics/{topic}');
    expect(ROUTES.map(routeKeyOf)).toEqual([
      'GET /topics',
      'POST /topics/{topic}',
      'GET /topics/{topic}',
      'GET /topics/{topic}/partitions',
      'POST /topics/{topic}/partitions/{partition}',
      'GET /topics/{topic}/partitions/{partition}',
      'GET /v3/clusters',
      'GET /v3/clusters/{cluster_id}',
      'POST /v3/clusters/{cluster_id}/topics/{topic_name}/records',
      'POST /v3/clusters/{cluster_id}/topics/{topic_name}/records:batch',
    ]);
  });
});

describe('readHttpRequest', () => {
  it('prefers the route parameter, and otherwise decodes the parameters from the path', () => {
    expect(readHttpRequest(event({ ...post, pathParameters: { topic: 'from-route' }, rawPath: '/topics/from-path' })).params).toEqual({ topic: 'from-route' });
    expect(readHttpRequest(event({ ...post, rawPath: '/topics/a%2Eb/partitions/%31' })).params).toEqual({ topic: 'a.b', partition: '1' });
  });

  it('refuses a path segment that is not valid percent-encoding with 422', () => {
    expect(() => readHttpRequest(event({ ...post, rawPath: '/topics/%E0%A4%A' }))).toThrow(
      new ValidationError('topic: the path segment is not valid percent-encoding'),
    );
  });

  it.each([
    ['another path', { ...post, rawPath: '/other' }, "no route for /other; see the API's routes"],
    ['no path', { ...post }, "no route for (no path); see the API's routes"],
  ])('answers 404 for %s', (_, fields, message) => {
    expect(() => readHttpRequest(event(fields))).toThrow(new RouteNotFoundError(message));
  });

  it.each([
    [
      'DELETE on a topic',
      { requestContext: { http: { method: 'delete' } } },
      '/topics/orders',
      'DELETE is not allowed on /topics/{topic}; use POST or GET',
      ['POST', 'GET'],
    ],
    ['no method', { requestContext: { http: {} } }, '/topics/orders', 'this method is not allowed on /topics/{topic}; use POST or GET', ['POST', 'GET']],
    ['no request context', {}, '/topics/orders', 'this method is not allowed on /topics/{topic}; use POST or GET', ['POST', 'GET']],
    ['POST on the topic list', post, '/topics', 'POST is not allowed on /topics; use GET', ['GET']],
    [
      'GET on records',
      get,
      '/v3/clusters/c/topics/t/records',
      'GET is not allowed on /v3/clusters/{cluster_id}/topics/{topic_name}/records; use POST',
      ['POST'],
    ],
  ])('answers 405 for %s, naming the methods the path serves', (_, fields, rawPath, message, allowed) => {
    let thrown: unknown;
    try {
      readHttpRequest(event({ ...fields, rawPath }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toEqual(new MethodNotAllowedError(message, allowed));
    expect((thrown as MethodNotAllowedError).allowed).toEqual(allowed);
  });

  it('reads the body as UTF-8, or as base64 when API Gateway encoded it, and no body as empty', () => {
    expect(readHttpRequest(event({ ...post, rawPath: '/topics/t', body: 'é' })).body).toEqual(Buffer.from('é', 'utf8'));
    expect(readHttpRequest(event({ ...post, rawPath: '/topics/t', body: 'w6k=', isBase64Encoded: true })).body).toEqual(Buffer.from('é', 'utf8'));
    expect(readHttpRequest(event({ ...post, rawPath: '/topics/t' })).body).toEqual(Buffer.alloc(0));
  });

  it('takes the base URL from the forwarded protocol and the host, https by default', () => {
    expect(readHttpRequest(event({ ...get, rawPath: '/v3/clusters', headers: { host: 'api.example.com' } })).baseUrl).toBe('https://api.example.com');
    expect(readHttpRequest(event({ ...get, rawPath: '/v3/clusters', headers: { host: '127.0.0.1:3000', 'x-forwarded-proto': 'http' } })).baseUrl).toBe(
      'http://127.0.0.1:3000',
    );
  });
});

describe('request helpers', () => {
  it('names the request by API Gateway id, or unknown', () => {
    expect(requestIdOf(event({ requestContext: { requestId: 'r-1' } }))).toBe('r-1');
    expect(requestIdOf(event({}))).toBe('unknown');
  });

  it('finds a header in any case, and none without headers', () => {
    expect(headerValue({ 'Content-Type': 'application/json' }, 'content-type')).toBe('application/json');
    expect(headerValue(undefined, 'content-type')).toBeUndefined();
    expect(headerValue(null as unknown as undefined, 'content-type')).toBeUndefined();
    expect(headerValue({}, 'content-type')).toBeUndefined();
  });
});
