/**
 * The Powertools consume baseline as a Lambda entry point, bundled like our functions so that
 * bundle size and cold start compare like with like.
 */
import type { Context, MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import { getConfig } from '../../lib/config';
import { createPowertoolsConsumer, type BaselineBatchResponse } from './powertools-consumer';

const config = getConfig();
const consume = createPowertoolsConsumer({
  region: config.aws.region,
  ...(config.aws.dynamoEndpoint === undefined ? {} : { endpoint: config.aws.dynamoEndpoint }),
  idempotencyTable: config.tables.idempotency,
  messagesTable: config.tables.messages,
});

/** Lambda handler of the baseline consumer. */
export const handler = (event: MSKEvent | SelfManagedKafkaEvent, context?: Context): Promise<BaselineBatchResponse> => consume(event, context);
