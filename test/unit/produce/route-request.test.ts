/** Reading a produce request out of an API Gateway v2 event, and refusing what is not one. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MethodNotAllowedError, RouteNotFoundError, ValidationError } from '../../../lib/errors';
import { headerValue, readProduceRequest, requestIdOf } from '../../../lib/produce/route';

const event = (fields: Record<string, unknown>): APIGatewayProxyEventV2 => fields as unknown as APIGatewayProxyEventV2;
const post = { requestContext: { http: { method: 'post' } } };

describe('readProduceRequest', () => {
  it('prefers the route parameter, and otherwise decodes the topic from the path', () => {
    expect(readProduceRequest(event({ ...post, pathParameters: { topic: 'from-route' }, rawPath: '/topics/from-path' })).topic).toBe('from-route');
    expect(readProduceRequest(event({ ...post, rawPath: '/topics/a%2Eb' })).topic).toBe('a.b');
  });

  it('refuses a path segment that is not valid percent-encoding with 422', () => {
    expect(() => readProduceRequest(event({ ...post, rawPath: '/topics/%E0%A4%A' }))).toThrow(
      new ValidationError('topic: the path segment is not valid percent-encoding'),
    );
  });

  it.each([
    ['another path', { ...post, rawPath: '/other' }, 'no route for /other; use POST /topics/{topic}'],
    ['no path', { ...post }, 'no route for (no path); use POST /topics/{topic}'],
  ])('answers 404 for %s', (_, fields, message) => {
    expect(() => readProduceRequest(event(fields))).toThrow(new RouteNotFoundError(message));
  });

  it.each([
    ['GET', { requestContext: { http: { method: 'get' } } }, 'GET is not allowed; use POST /topics/{topic}'],
    ['no method', { requestContext: { http: {} } }, 'this method is not allowed; use POST /topics/{topic}'],
    ['no http context', { requestContext: {} }, 'this method is not allowed; use POST /topics/{topic}'],
    ['no request context', {}, 'this method is not allowed; use POST /topics/{topic}'],
  ])('answers 405 for %s', (_, fields, message) => {
    expect(() => readProduceRequest(event({ ...fields, rawPath: '/topics/orders' }))).toThrow(new MethodNotAllowedError(message));
  });

  it('reads the body as UTF-8, or as base64 when API Gateway encoded it, and no body as empty', () => {
    expect(readProduceRequest(event({ ...post, rawPath: '/topics/t', body: 'é' })).body).toEqual(Buffer.from('é', 'utf8'));
    expect(readProduceRequest(event({ ...post, rawPath: '/topics/t', body: 'w6k=', isBase64Encoded: true })).body).toEqual(Buffer.from('é', 'utf8'));
    expect(readProduceRequest(event({ ...post, rawPath: '/topics/t' })).body).toEqual(Buffer.alloc(0));
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
