/**
 * Avro against json, produce and consume, in one run: the same records (100 per request, 100
 * per batch) through the produce handler and the consume handler, once as json and once as
 * Avro with a warm registry, rounds alternating which goes first. A goal ratio is the median of
 * the per-round quotients avro/json. Registry requests are counted: once warm (schemas by id,
 * known to the container) a request or a batch must make none.
 */
import type { APIGatewayProxyEventV2, MSKEvent } from 'aws-lambda';
import { createConsumeRuntime } from '../lib/consume';
import type { Logger } from '../lib/logger';
import { silentLogger } from '../lib/logger';
import { createProduceRuntime } from '../lib/produce';
import { ConfluentSchemaRegistry } from '../lib/schema/registry-client';
import { Schemas, encodeWith } from '../lib/schema/schemas';
import { parseJsonExact } from '../lib/json-numbers';
import { ensureTables } from '../local/dynamo/tables';
import { ensureTopics } from '../local/kafka/admin';
import { startSchemaRegistry, type SchemaRegistryServer } from '../local/registry';
import { createDynamoClient } from '../lib/dynamo/client';
import { createKafka } from '../lib/kafka/client';
import { produceEvent } from './produce';
import { makeRecords, mskEvent, produceRequestBody, type BenchRecord } from './records';
import { benchConfig, benchName, type BenchServices } from './services';
import { median, rotation } from './stats';

const AVRO = 'application/vnd.kafka.avro.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';

/** The Avro schema of the bench records' values (bench/records.ts). */
export const BENCH_VALUE_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'BenchValue',
  namespace: 'bench',
  fields: [
    { name: 'index', type: 'int' },
    { name: 'label', type: 'string' },
    { name: 'amountCents', type: 'long' },
    { name: 'note', type: 'string' },
  ],
});

/** How much to measure. */
export interface SchemaFormatSettings {
  rounds: number;
  requestsPerRound: number;
  batchesPerRound: number;
  recordsPerRequest: number;
}

/** The figures of one run. */
export interface SchemaFormatFigures {
  recordsPerRequest: number;
  rounds: number;
  produce: { jsonRecordsPerSec: number; avroRecordsPerSec: number; ratio: number; roundRatios: number[]; registryRequestsWarm: number };
  consume: { jsonRecordsPerSec: number; avroRecordsPerSec: number; ratio: number; roundRatios: number[]; registryRequestsWarm: number };
}

function withContentType(event: APIGatewayProxyEventV2, contentType: string): APIGatewayProxyEventV2 {
  return { ...event, headers: { ...event.headers, 'content-type': contentType } };
}

function avroBody(records: readonly BenchRecord[], keySchemaId: number, valueSchemaId: number): string {
  const json = JSON.parse(produceRequestBody(records)) as { records: unknown[] };
  return JSON.stringify({ key_schema_id: keySchemaId, value_schema_id: valueSchemaId, records: json.records });
}

/**
 * Measures Avro against json on the produce and consume handlers.
 *
 * @param registryUrl - a registry to use; one is started (and stopped) otherwise.
 */
export async function measureSchemaFormats(
  services: BenchServices,
  logger: Logger,
  settings: SchemaFormatSettings,
  registryUrl?: string,
): Promise<SchemaFormatFigures> {
  let started: SchemaRegistryServer | undefined;
  const url = registryUrl ?? (started = await startSchemaRegistry({ port: 0, logger })).url;
  try {
    const config = benchConfig(services, { SCHEMA_REGISTRY_URL: url });
    const dynamo = createDynamoClient(config.aws);
    await ensureTables(dynamo, config.tables);
    dynamo.destroy();
    const topic = benchName('schemas');
    const kafka = createKafka(config.kafka, { logger: silentLogger });
    await ensureTopics(kafka, [{ topic, numPartitions: 4 }]);
    const produceRegistry = new ConfluentSchemaRegistry(config.schemaRegistry as NonNullable<typeof config.schemaRegistry>);
    const consumeRegistry = new ConfluentSchemaRegistry(config.schemaRegistry as NonNullable<typeof config.schemaRegistry>);
    const produce = createProduceRuntime(config, { logger: silentLogger, schemaRegistry: produceRegistry });
    const consume = createConsumeRuntime(config, { logger: silentLogger, schemaRegistry: consumeRegistry });
    try {
      // Warm-up: the schemas registered by text once, then used by id, as a client would.
      const warm = await produce.handler(
        withContentType(
          produceEvent(
            topic,
            JSON.stringify({
              key_schema: '"string"',
              value_schema: BENCH_VALUE_SCHEMA,
              records: JSON.parse(produceRequestBody(makeRecords(1, 'warm'))).records,
            }),
          ),
          AVRO,
        ),
      );
      if (warm.statusCode !== 200) throw new Error(`warm-up answered ${warm.statusCode}: ${warm.body}`);
      const { key_schema_id: keyId, value_schema_id: valueId } = JSON.parse(warm.body as string) as { key_schema_id: number; value_schema_id: number };
      // ...and by id once: the container checks an id under its subject on first use.
      const byId = await produce.handler(withContentType(produceEvent(topic, avroBody(makeRecords(1, 'warm-id'), keyId, valueId)), AVRO));
      if (byId.statusCode !== 200) throw new Error(`warm-up by id answered ${byId.statusCode}: ${byId.body}`);
      const schemas = new Schemas(new ConfluentSchemaRegistry(config.schemaRegistry as NonNullable<typeof config.schemaRegistry>));
      const valueSchema = await schemas.prepare(`${topic}-value`, 'AVRO', { id: valueId }, 'value_schema_id');
      const avroEvent = (records: readonly BenchRecord[]): MSKEvent => {
        const event = mskEvent(topic, 4, records);
        for (const group of Object.values(event.records)) {
          for (const record of group) {
            const text = Buffer.from(record.value as string, 'base64');
            record.value = encodeWith(valueSchema, parseJsonExact(text.toString('utf8')), text, 'value').toString('base64');
          }
        }
        return event;
      };
      // Consume warm-up: the consume function meets the schema id once.
      await consume.handler(avroEvent(makeRecords(4, 'warm-consume')));

      const produceBefore = produceRegistry.requestCount;
      const consumeBefore = consumeRegistry.requestCount;
      const produceRounds: { json: number; avro: number }[] = [];
      const consumeRounds: { json: number; avro: number }[] = [];
      // Within a round the two formats take turns request by request (batch by batch), so that
      // a load that comes and goes on a shared machine weighs on both alike.
      const timeEach = async <T>(round: number, items: { json: T[]; avro: T[] }, run: (format: 'json' | 'avro', item: T) => Promise<void>) => {
        const elapsedNs = { json: 0n, avro: 0n };
        for (let i = 0; i < items.json.length; i += 1) {
          for (const format of rotation(['json', 'avro'] as const, round + i)) {
            const startedNs = process.hrtime.bigint();
            await run(format, items[format][i] as T);
            elapsedNs[format] += process.hrtime.bigint() - startedNs;
          }
        }
        return elapsedNs;
      };
      for (let round = 0; round < settings.rounds; round += 1) {
        const requests = {
          json: Array.from({ length: settings.requestsPerRound }, (_, i) =>
            withContentType(produceEvent(topic, produceRequestBody(makeRecords(settings.recordsPerRequest, `json-${round}-${i}`))), JSON_V2),
          ),
          avro: Array.from({ length: settings.requestsPerRound }, (_, i) =>
            withContentType(produceEvent(topic, avroBody(makeRecords(settings.recordsPerRequest, `avro-${round}-${i}`), keyId, valueId)), AVRO),
          ),
        };
        const produced = await timeEach(round, requests, async (format, event) => {
          const response = await produce.handler(event);
          if (response.statusCode !== 200) throw new Error(`${format} produce answered ${response.statusCode}: ${response.body}`);
        });
        const perSec = (count: number, ns: bigint): number => count / (Number(ns) / 1e9);
        const producedRecords = settings.requestsPerRound * settings.recordsPerRequest;
        produceRounds.push({ json: perSec(producedRecords, produced.json), avro: perSec(producedRecords, produced.avro) });
        const batches = {
          json: Array.from({ length: settings.batchesPerRound }, (_, i) => mskEvent(topic, 4, makeRecords(settings.recordsPerRequest, `c-json-${round}-${i}`))),
          avro: Array.from({ length: settings.batchesPerRound }, (_, i) => avroEvent(makeRecords(settings.recordsPerRequest, `c-avro-${round}-${i}`))),
        };
        const consumed = await timeEach(round, batches, async (format, event) => {
          const answer = await consume.handler(event);
          if (answer.batchItemFailures.length > 0) throw new Error(`${format} consume reported ${answer.batchItemFailures.length} failures`);
        });
        const consumedRecords = settings.batchesPerRound * settings.recordsPerRequest;
        consumeRounds.push({ json: perSec(consumedRecords, consumed.json), avro: perSec(consumedRecords, consumed.avro) });
        logger.info('schema formats round', { round, produce: produceRounds.at(-1), consume: consumeRounds.at(-1) });
      }
      const summarize = (rounds: { json: number; avro: number }[], requests: number) => {
        const ratios = rounds.map(({ json, avro }) => avro / json);
        return {
          jsonRecordsPerSec: Math.round(median(rounds.map((r) => r.json))),
          avroRecordsPerSec: Math.round(median(rounds.map((r) => r.avro))),
          ratio: Number(median(ratios).toFixed(3)),
          roundRatios: ratios.map((value) => Number(value.toFixed(3))),
          registryRequestsWarm: requests,
        };
      };
      return {
        recordsPerRequest: settings.recordsPerRequest,
        rounds: settings.rounds,
        produce: summarize(produceRounds, produceRegistry.requestCount - produceBefore),
        consume: summarize(consumeRounds, consumeRegistry.requestCount - consumeBefore),
      };
    } finally {
      await produce.close();
      await consume.close();
    }
  } finally {
    await started?.stop();
  }
}
