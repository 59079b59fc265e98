/**
 * The produce handler's own cost, apart from Kafka: the same handler with a producer that
 * acknowledges at once, so what remains is parsing, validation, serialisation of values and
 * shaping the response. Compared with the handler's overhead over direct kafkajs, it says how
 * much of that overhead is the handler and how much the Kafka producer layer.
 */
import type { AppConfig } from '../lib/config';
import type { RecordProducer } from '../lib/kafka/producer';
import { silentLogger } from '../lib/logger';
import { createProduceRuntime } from '../lib/produce';
import { produceEvent } from './produce';
import { makeRecords, produceRequestBody } from './records';
import { median } from './stats';

/** A producer that acknowledges every record at once, spreading records over `partitions`. */
function instantProducer(partitions: number): RecordProducer {
  let nextOffset = 0n;
  return {
    partitionCount: async () => partitions,
    send: async (_topic, records) => {
      const assigned = records.map((record, index) => record.partition ?? index % partitions);
      const acks = [...new Set(assigned)].map((partition) => ({ partition, baseOffset: nextOffset++ }));
      return { partitions: assigned, acks };
    },
    close: async () => undefined,
  };
}

/**
 * Milliseconds of handler time per request of `recordsPerRequest` records with Kafka taken
 * out, median of `rounds` rounds of `requests` requests.
 *
 * @throws Error when the handler does not answer 200.
 */
export async function measureHandlerCpu(config: AppConfig, recordsPerRequest: number, requests: number, rounds: number): Promise<number> {
  const runtime = createProduceRuntime(config, { logger: silentLogger, producer: instantProducer(4) });
  const events = Array.from({ length: 20 }, (_, index) => produceEvent('cpu', produceRequestBody(makeRecords(recordsPerRequest, `cpu-${index}`))));
  const send = async (index: number): Promise<void> => {
    const response = await runtime.handler(events[index % events.length] as (typeof events)[number]);
    if (response.statusCode !== 200) throw new Error(`produce handler answered ${response.statusCode}: ${response.body}`);
  };
  for (let index = 0; index < 100; index++) await send(index);
  const perRequestMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (let index = 0; index < requests; index++) await send(index);
    perRequestMs.push((performance.now() - started) / requests);
  }
  await runtime.close();
  return median(perRequestMs);
}
