/** Factories for API Gateway HTTP API (payload v2) events, as the produce function receives them. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Options of {@link httpEvent}. */
export interface HttpEventOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  pathParameters?: Record<string, string>;
}

/** An HTTP API payload v2 event with the given method, path, headers and body. */
export function httpEvent(options: HttpEventOptions): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path,
    rawQueryString: '',
    headers: options.headers ?? {},
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'test.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'test',
      http: { method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'test-request',
      routeKey: '$default',
      stage: '$default',
      time: '27/Nov/2026:00:00:00 +0000',
      timeEpoch: 1_795_737_600_000,
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** Content types of the produce API. */
export const JSON_V2 = 'application/vnd.kafka.json.v2+json';
export const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';

/** A `POST /topics/{topic}` event with a JSON body. */
export function produceEvent(
  topic: string,
  body: unknown,
  { contentType = JSON_V2, headers = {} }: { contentType?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  return httpEvent({
    path: `/topics/${topic}`,
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Base64 of a UTF-8 string. */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The event as API Gateway delivers it after an authorizer accepted the caller. */
export function asCaller(event: APIGatewayProxyEventV2, authorizer: Record<string, unknown>): APIGatewayProxyEventV2 {
  return { ...event, requestContext: { ...event.requestContext, authorizer } as APIGatewayProxyEventV2['requestContext'] };
}

/**
 * An IAM authorizer's context (payload format 2.0) for the principal `userArn`, whose unique
 * id is `userId` (`AIDA…` for a user, `AROA…:<session name>` for a role session).
 */
export function iamAuthorizer(userArn: string, userId: string, principalOrgId: string | null = null): Record<string, unknown> {
  const accountId = userArn.split(':')[4] ?? '';
  return { iam: { accessKey: 'AKIAEXAMPLE', accountId, callerId: userId, cognitoIdentity: null, principalOrgId, userArn, userId } };
}

/** A JWT authorizer's context with these claims (payload format 2.0). */
export function jwtAuthorizer(claims: Record<string, unknown>): Record<string, unknown> {
  return { jwt: { claims, scopes: null } };
}
