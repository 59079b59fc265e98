/**
 * Lambda entry point of the produce API (`POST /topics/{topic}`). The runtime is built once
 * per container, so the Kafka producer and the DynamoDB client are reused across invocations;
 * a bad configuration fails here, at cold start, naming the variable.
 */
import { getConfig } from '../lib/config';
import { createProduceRuntime } from '../lib/produce';

const runtime = createProduceRuntime(getConfig());

/** API Gateway HTTP API (payload v2) / Function URL handler. */
export const handler = runtime.handler;
