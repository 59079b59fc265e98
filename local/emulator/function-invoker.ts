/**
 * One invocation of the function as Lambda makes it for the event source: the event built from
 * the records, a context with the request id and the remaining time, the function timeout, and
 * the answer read for each partition. A timed-out invocation is remembered per partition until
 * it has ended, and a partition's next invocation waits for that first: in one process a
 * handler cannot be stopped (Lambda stops the environment), so it is at least never run beside
 * its retry.
 */
import type { MSKEvent } from 'aws-lambda';
import type { Clock } from '../../lib/clock';
import { errorFields, type Logger } from '../../lib/logger';
import { withTimeout } from '../../lib/timeout';
import type { FetchedRecord } from '../kafka/consumer';
import { buildMskEvent, type EmulatedCluster } from '../msk-event';
import { batchOutcomes, type BatchOutcome } from './batch-outcome';

/** The function the emulator feeds: the consume runtime's handler, or any with its shape. */
export type KafkaEventHandler = (event: MSKEvent, context: EmulatedContext) => Promise<unknown>;

/** The parts of Lambda's invocation context the emulator provides. */
export interface EmulatedContext {
  awsRequestId: string;
  /** Milliseconds until the invocation times out (`invocationTimeoutMs` after it started). */
  getRemainingTimeInMillis(): number;
}

/** Options of {@link createFunctionInvoker}. */
export interface FunctionInvokerOptions {
  handler: KafkaEventHandler;
  cluster: EmulatedCluster;
  /** Lambda's function timeout. */
  invocationTimeoutMs: number;
  clock: Clock;
  logger: Logger;
}

/** What one invocation did. */
export interface Invocation {
  /** The answer for each partition's records, in the order given. */
  outcomes: BatchOutcome[];
  timedOut: boolean;
}

/** Invokes the function. */
export interface FunctionInvoker {
  /** Invokes once with `batches` (each one partition's records, ascending) under `awsRequestId`. */
  invoke(batches: readonly (readonly FetchedRecord[])[], awsRequestId: string): Promise<Invocation>;
}

/** Thrown by the invocation race when the function timeout passes first. */
class InvocationTimeout extends Error {}

/** Creates an invoker with no invocation running. */
export function createFunctionInvoker(options: FunctionInvokerOptions): FunctionInvoker {
  const { handler, cluster, invocationTimeoutMs, clock, logger } = options;
  /** Per partition, a timed-out invocation that has not ended yet. */
  const unsettled = new Map<number, Promise<void>>();

  /** Waits for a timed-out invocation of `partition` to end; at most one more function timeout. */
  const afterUnsettled = async (partition: number): Promise<void> => {
    const running = unsettled.get(partition);
    if (running === undefined) return;
    logger.warn('event source: waiting for a timed-out invocation to end before the retry', { partition });
    await withTimeout(running, invocationTimeoutMs).catch(() => {
      logger.error('event source: a timed-out invocation is still running after another timeout; retrying beside it', { partition });
    });
  };

  const remember = (partitions: readonly number[], running: Promise<unknown>): void => {
    const ended = running.then(
      () => {},
      () => {},
    );
    for (const partition of partitions) {
      unsettled.set(partition, ended);
      void ended.then(() => {
        if (unsettled.get(partition) === ended) unsettled.delete(partition);
      });
    }
  };

  return {
    async invoke(batches, awsRequestId) {
      const partitions = batches.map((records) => (records[0] as FetchedRecord).partition);
      for (const partition of partitions) await afterUnsettled(partition);
      const records = batches.flat();
      const event = buildMskEvent(cluster, records);
      const deadlineMs = clock.nowMs() + invocationTimeoutMs;
      const context: EmulatedContext = { awsRequestId, getRemainingTimeInMillis: () => Math.max(0, deadlineMs - clock.nowMs()) };
      const running = Promise.resolve().then(() => handler(event, context));
      let answer: { response: unknown } | { error: unknown };
      let timedOut = false;
      try {
        const timeout = () => new InvocationTimeout(`Task timed out after ${(invocationTimeoutMs / 1_000).toFixed(2)} seconds`);
        answer = { response: await withTimeout(running, invocationTimeoutMs, timeout) };
      } catch (error) {
        if (error instanceof InvocationTimeout) {
          timedOut = true;
          remember(partitions, running);
        }
        logger.warn('event source: the function failed', { partitions, records: records.length, awsRequestId, ...errorFields(error) });
        answer = { error };
      }
      const delivered = batches.map((mine) => {
        const [first] = mine as [FetchedRecord];
        return { topic: first.topic, partition: first.partition, offsets: mine.map((record) => BigInt(record.offset)) };
      });
      return { outcomes: batchOutcomes(delivered, answer), timedOut };
    },
  };
}
