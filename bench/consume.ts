/**
 * Consume measurements: the same Kafka events handled by the consume handler and by the
 * Powertools baseline, each on tables of its own in the same store. A batch of new records is
 * followed by the very same event again (a fully duplicate batch, as after a redelivery).
 * DynamoDB requests are counted at the store, so both sides are counted the same way.
 */
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MSKEvent } from 'aws-lambda';
import type { CountedStore } from './store-client';
import { countsBetween, totalRequests } from './dynamo-counter';
import { makeRecords, mskEvent } from './records';
import { median, pairedRatios, rotation } from './stats';

/** A consumer of Kafka events with a partial batch response. */
export interface ConsumeSubject {
  name: string;
  messagesTable: string;
  handle(event: MSKEvent): Promise<{ batchItemFailures: unknown[] }>;
  close(): Promise<void>;
}

/** Whether a batch's records were new or all seen before. */
export const BatchKind = { New: 'new', Duplicate: 'duplicate' } as const;
export type BatchKind = (typeof BatchKind)[keyof typeof BatchKind];

/** One subject's figures for one batch shape, medians over rounds. */
export interface ConsumeFigure {
  subject: string;
  batchSize: number;
  partitions: number;
  kind: BatchKind;
  rounds: number;
  recordsPerSec: number;
  /**
   * Median over rounds of this subject's records/s divided by the baseline's on the same kind
   * of batch in the same round (1 for the baseline itself): drift between rounds cancels out.
   */
  ratioToBaseline?: number;
  /** The per-round ratios the median above is taken from, in round order (subjects other than the baseline). */
  roundRatios?: number[];
  dynamoRequestsPerRecord: number;
  /** Requests of one batch by operation, from the first round. */
  requestsByOperation: Record<string, number>;
}

interface Round {
  recordsPerSec: number;
  requestsPerRecord: number;
  requestsByOperation: Record<string, number>;
}

async function timed(subject: ConsumeSubject, store: CountedStore, event: MSKEvent, batchSize: number): Promise<Round> {
  const before = await store.snapshot();
  const started = performance.now();
  const response = await subject.handle(event);
  const elapsedMs = performance.now() - started;
  const requestsByOperation = countsBetween(before, await store.snapshot());
  if (response.batchItemFailures.length > 0) {
    throw new Error(`${subject.name} reported ${response.batchItemFailures.length} failed records in a batch that should fully succeed`);
  }
  return { recordsPerSec: batchSize / (elapsedMs / 1000), requestsPerRecord: totalRequests(requestsByOperation) / batchSize, requestsByOperation };
}

/** Counts the items in a table, to check that every new record was written exactly once. */
export async function countItems(client: DynamoDBClient, table: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, Select: 'COUNT', ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey as never }) }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return count;
}

/** A batch shape to measure. */
export interface ConsumeShape {
  batchSize: number;
  partitions: number;
  rounds: number;
}

/**
 * Measures every subject on every shape. Each round gives every subject a new batch, then
 * every subject the same batch again, subject after subject in an order that rotates from
 * round to round, before the next round starts; ratios are taken per round against `baseline`.
 *
 * @returns figures, and how many new records each subject was given (to compare with its table).
 */
export async function measureConsume(
  subjects: readonly ConsumeSubject[],
  baseline: string,
  store: CountedStore,
  shapes: readonly ConsumeShape[],
  topic: string,
  onRound: (done: number, total: number) => void = () => undefined,
): Promise<{ figures: ConsumeFigure[]; newRecordsBySubject: Map<string, number> }> {
  const newRecordsBySubject = new Map<string, number>(subjects.map((subject) => [subject.name, 0]));
  for (const subject of subjects) {
    // Warm-up: connections and JIT, on records of their own.
    const warmup = makeRecords(50, 'warmup');
    await subject.handle(mskEvent(topic, 2, warmup));
    newRecordsBySubject.set(subject.name, (newRecordsBySubject.get(subject.name) ?? 0) + warmup.length);
  }
  const figures: ConsumeFigure[] = [];
  let nextOffset = 1_000;
  const totalRounds = shapes.reduce((sum, shape) => sum + shape.rounds, 0);
  let roundsDone = 0;
  for (const shape of shapes) {
    const results = new Map<string, Record<BatchKind, Round[]>>(subjects.map((subject) => [subject.name, { new: [], duplicate: [] }]));
    for (let round = 0; round < shape.rounds; round++) {
      const order = rotation(subjects, round);
      const events = order.map((subject) => {
        const event = mskEvent(topic, shape.partitions, makeRecords(shape.batchSize, `c${shape.batchSize}x${shape.partitions}-r${round}`), nextOffset);
        nextOffset += shape.batchSize;
        newRecordsBySubject.set(subject.name, (newRecordsBySubject.get(subject.name) ?? 0) + shape.batchSize);
        return event;
      });
      // Every subject's new batch, then every subject's duplicate: the batches a ratio pairs run back to back.
      for (const kind of [BatchKind.New, BatchKind.Duplicate]) {
        for (const [index, subject] of order.entries()) {
          results.get(subject.name)?.[kind].push(await timed(subject, store, events[index] as MSKEvent, shape.batchSize));
        }
      }
      roundsDone += 1;
      onRound(roundsDone, totalRounds);
    }
    const baselineResults = results.get(baseline);
    for (const subject of subjects) {
      for (const kind of [BatchKind.New, BatchKind.Duplicate]) {
        const rounds = results.get(subject.name)?.[kind] ?? [];
        const baselineRounds = baselineResults?.[kind];
        figures.push({
          subject: subject.name,
          batchSize: shape.batchSize,
          partitions: shape.partitions,
          kind,
          rounds: rounds.length,
          recordsPerSec: median(rounds.map((r) => r.recordsPerSec)),
          ...(baselineRounds === undefined
            ? {}
            : pairedRatios(
                rounds.map((r) => r.recordsPerSec),
                baselineRounds.map((r) => r.recordsPerSec),
                subject.name === baseline,
              )),
          dynamoRequestsPerRecord: median(rounds.map((r) => r.requestsPerRecord)),
          requestsByOperation: rounds[0]?.requestsByOperation ?? {},
        });
      }
    }
  }
  return { figures, newRecordsBySubject };
}
