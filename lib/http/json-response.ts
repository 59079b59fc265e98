/** HTTP responses in the shape API Gateway (payload v2) and Function URLs expect from Lambda. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** The REST Proxy v2 response media type. */
export const KAFKA_V2_MEDIA_TYPE = 'application/vnd.kafka.v2+json';

/** The REST Proxy v3 response media type (answers and errors of the `/v3/` routes). */
export const KAFKA_V3_MEDIA_TYPE = 'application/json';

/** An HTTP response built by the API. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** Serialized JSON. */
  body: string;
}

/** A JSON response with the REST Proxy media type; `body` is serialized unless already a string. */
export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': KAFKA_V2_MEDIA_TYPE, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** The Lambda result for `response`. */
export function toLambdaResult(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.statusCode, headers: response.headers, body: response.body, isBase64Encoded: false };
}
