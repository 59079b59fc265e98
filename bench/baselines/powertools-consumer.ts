/**
 * The consume baseline, built the way the field's standard tools suggest: Powertools for AWS
 * Lambda's `makeIdempotent` with its DynamoDB persistence layer around a per-record function,
 * called in a sequential, in-order loop over the batch. Its processor has the same semantics as
 * ours: parse the value as JSON and put it into the messages table keyed by message id.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, MSKEvent, MSKRecord, SelfManagedKafkaEvent } from 'aws-lambda';

/** Where the baseline keeps its keys and writes its messages. */
export interface PowertoolsConsumerOptions {
  region: string;
  endpoint?: string;
  idempotencyTable: string;
  messagesTable: string;
}

/** The partial batch response of the Kafka event source mapping. */
export interface BaselineBatchResponse {
  batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[];
}

interface RecordInput {
  messageId: string;
  record: MSKRecord;
}

function headerText(record: MSKRecord, name: string): string | undefined {
  for (const header of record.headers) {
    const bytes = header[name];
    if (bytes !== undefined) return Buffer.from(bytes).toString('utf8');
  }
  return undefined;
}

/** The part of the Lambda context Powertools reads: the time left, for the in-progress expiry. */
export type RemainingTime = Pick<Context, 'getRemainingTimeInMillis'>;

// Outside Lambda there is no context; a whole Lambda timeout (15 minutes) left is what a fresh invocation would see.
const FULL_TIMEOUT: RemainingTime = { getRemainingTimeInMillis: () => 900_000 };

/** Builds the baseline handler; create it once per container, as Powertools' docs do. */
export function createPowertoolsConsumer(
  options: PowertoolsConsumerOptions,
): (event: MSKEvent | SelfManagedKafkaEvent, context?: RemainingTime) => Promise<BaselineBatchResponse> {
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: options.idempotencyTable, awsSdkV3Client: client });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'messageId' });

  const processRecord = async ({ messageId, record }: RecordInput): Promise<{ messageId: string }> => {
    const value = JSON.parse(Buffer.from(record.value, 'base64').toString('utf8')) as unknown;
    await documents.send(
      new PutCommand({
        TableName: options.messagesTable,
        Item: {
          messageId,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          key: record.key === undefined ? undefined : Buffer.from(record.key, 'base64').toString('utf8'),
          value,
          processedAt: new Date().toISOString(),
        },
      }),
    );
    return { messageId };
  };
  const processIdempotently = makeIdempotent(processRecord, { persistenceStore, config });

  return async (event, context = FULL_TIMEOUT) => {
    // As Powertools' docs do for idempotency inside a batch: without it every record logs a warning.
    config.registerLambdaContext(context as Context);
    const batchItemFailures: BaselineBatchResponse['batchItemFailures'] = [];
    for (const [partitionId, records] of Object.entries(event.records)) {
      const ordered = [...records].sort((a, b) => a.offset - b.offset);
      let failed = false;
      for (const record of ordered) {
        if (!failed) {
          const messageId = headerText(record, 'message-id') ?? `${record.topic}-${record.partition}-${record.offset}`;
          try {
            await processIdempotently({ messageId, record });
          } catch {
            failed = true;
          }
        }
        if (failed) batchItemFailures.push({ itemIdentifier: { partition: partitionId, offset: record.offset } });
      }
    }
    return { batchItemFailures };
  };
}
