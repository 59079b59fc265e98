/**
 * The smallest produce function that does the job: JSON records in, kafkajs acks=-1, offsets
 * out, with no validation, idempotency or error mapping. Bundled beside ours, it shows what
 * those features cost in bundle size and cold start.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { getConfig } from '../../lib/config';

const config = getConfig();
const producer = new Kafka({ clientId: 'baseline-produce', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).producer();
let connected: Promise<void> | undefined;

/** Lambda handler of the baseline producer. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  connected ??= producer.connect();
  await connected;
  const topic = event.rawPath.split('/').pop() ?? '';
  const body = JSON.parse(event.body ?? '{}') as { records: { key?: unknown; value: unknown }[] };
  const metadata = await producer.send({
    topic,
    acks: -1,
    messages: body.records.map((record) => ({
      key: record.key === undefined ? null : JSON.stringify(record.key),
      value: JSON.stringify(record.value),
    })),
  });
  return { statusCode: 200, body: JSON.stringify({ offsets: metadata }) };
};
