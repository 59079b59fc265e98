/**
 * Lambda entry point of the Kafka event source mapping (Amazon MSK and self-managed Kafka).
 * The runtime is built once per container, so the DynamoDB client is reused across
 * invocations; a bad configuration fails here, at cold start, naming the variable.
 */
import { getConfig } from '../lib/config';
import { createConsumeRuntime } from '../lib/consume';

const runtime = createConsumeRuntime(getConfig());

/** Kafka event handler answering with `batchItemFailures` (ReportBatchItemFailures). */
export const handler = runtime.handler;
