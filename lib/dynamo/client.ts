/**
 * The door to DynamoDB: with `lib/idempotency`'s store, the only code that imports `@aws-sdk/*`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppConfig } from '../config';

/**
 * Creates a DynamoDB client for the configured region and endpoint. Create one per
 * container and reuse it: the SDK keeps its HTTP connections alive between invocations.
 */
export function createDynamoClient(aws: AppConfig['aws']): DynamoDBClient {
  return new DynamoDBClient({
    region: aws.region,
    maxAttempts: 3,
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
