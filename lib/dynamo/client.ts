/**
 * The door to DynamoDB: with `lib/idempotency`'s store, the only code that imports `@aws-sdk/*`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_MAX_ATTEMPTS, type AppConfig } from '../config';

/**
 * What a DynamoDB client is made from: the configuration's `aws` part. Tooling that only
 * creates tables may leave the request timeout out (the SDK's defaults then apply).
 */
export type DynamoClientSettings = Pick<AppConfig['aws'], 'region' | 'dynamoEndpoint'> & Partial<Pick<AppConfig['aws'], 'dynamoRequestTimeoutMs'>>;

/**
 * Creates a DynamoDB client for the configured region and endpoint. Create one per
 * container and reuse it: the SDK keeps its HTTP connections alive between invocations.
 * Each request is given up after `aws.dynamoRequestTimeoutMs` (connecting included), so that
 * a request that hangs fails within a claim's lease instead of at the function's timeout.
 */
export function createDynamoClient(aws: DynamoClientSettings): DynamoDBClient {
  const timeoutMs = aws.dynamoRequestTimeoutMs;
  return new DynamoDBClient({
    region: aws.region,
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    // Without `throwOnRequestTimeout` the SDK's handler only logs a warning when a request
    // outlasts `requestTimeout`, and keeps waiting.
    ...(timeoutMs === undefined ? {} : { requestHandler: { requestTimeout: timeoutMs, connectionTimeout: timeoutMs, throwOnRequestTimeout: true } }),
    ...(aws.dynamoEndpoint === undefined
      ? {}
      : {
          endpoint: aws.dynamoEndpoint,
          // dynalite accepts any credentials; these keep the SDK from searching for real ones.
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
  });
}

export { DynamoDBClient } from '@aws-sdk/client-dynamodb';
