/**
 * The inspect tool: prints a topic's records as JSON lines through a throwaway consumer
 * group of its own, which never commits, so the consume function's group and its offsets
 * are never touched. It stops after `limit` records, when it has read everything that was
 * in the topic when it started (`fromBeginning`), after `idleMs` without records, or when
 * `signal` aborts.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../lib/clock';
import type { AppConfig } from '../lib/config';
import { createPartitionConsumer, type FetchedRecord } from './kafka/consumer';
import { createOffsetReader } from './kafka/offsets';
import { errorFields, type Logger } from '../lib/logger';
import type { DecodedData } from '../lib/schema/schemas';

/** One printed line. Raw bytes are base64 (as in the Lambda event); `decoded` is for reading. */
export interface InspectedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** Base64, or null. */
  key: string | null;
  /** Base64, or null for a tombstone. */
  value: string | null;
  /** In order; values base64, or null for Kafka's null header value (apart from `""`, an empty one). */
  headers: { name: string; value: string | null }[];
  decoded: {
    /** The key as UTF-8 text, or null when absent or not valid UTF-8. */
    key: string | null;
    /**
     * The value parsed as JSON when that keeps every number as written; else its UTF-8 text;
     * null when absent or not valid UTF-8.
     */
    value: unknown;
    /** Header values as UTF-8 text (base64 when not valid UTF-8; null for a null value), by name (the last wins). */
    headers: Record<string, string | null>;
    /** The timestamp as ISO 8601. */
    timestamp: string;
    /** For a key framed for a schema registry: its format and schema id (`decoded.key` is then the decoded key). */
    keySchema?: SchemaNote;
    /** For a value framed for a schema registry: its format and schema id (`decoded.value` is then the decoded value). */
    valueSchema?: SchemaNote;
  };
}

/** The schema a framed key or value was written with, or why it could not be decoded. */
export interface SchemaNote {
  format?: string;
  schemaId?: string;
  /** Why decoding failed (the registry unreachable, an unknown id, bytes that do not match). */
  error?: string;
}

/** What decoded a record's framed key and value, when anything did (see {@link inspectTopic}'s `decoder`). */
export interface SchemaDecoding {
  key?: DecodedData | { error: string };
  value?: DecodedData | { error: string };
}

/** Decodes a framed key or value (`lib/schema`'s `Schemas`); undefined for bytes that are not framed. */
export interface InspectDecoder {
  decode(bytes: Buffer): Promise<DecodedData | undefined>;
}

/** Options of {@link inspectTopic}. */
export interface InspectOptions {
  config: AppConfig;
  topic: string;
  /** Start at the earliest record instead of only new ones. */
  fromBeginning: boolean;
  /** Stop after this many records. */
  limit?: number;
  /** Consumer group to use; a fresh random one by default. */
  groupId?: string;
  /** Groups that must never be used (the consume function's). */
  forbiddenGroups?: readonly string[];
  /** Stop after this long without a new record. */
  idleMs: number;
  write: (line: string) => void;
  logger: Logger;
  clock?: Clock;
  /** Stops reading early (for example on Ctrl-C); what was printed stays printed. */
  signal?: AbortSignal;
  /** Decodes keys and values framed for a schema registry; without it they show as bytes. */
  decoder?: InspectDecoder;
}

/** Raised for an inspect request that cannot be served or would disturb the pipeline (joining its group). */
export class InspectUsageError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Buffer | null): string | null {
  if (bytes === null) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** What JSON.parse passes a reviver for a primitive value (Node.js 21+): the value's source text. */
type ReviverContext = { source?: string } | undefined;

/**
 * The value parsed as JSON when parsing keeps every number as written; else its text. The
 * produce API stores numbers digit for digit (`12345678901234567890`, `0.10`, `1e400`), which
 * a double would show as something else (`12345678901234567000`, `0.1`, `null`): such a value
 * is shown as the text that is stored, so that reading never suggests the data changed.
 */
function parsed(bytes: Buffer | null): unknown {
  const value = text(bytes);
  if (value === null) return null;
  let exact = true;
  try {
    const result: unknown = JSON.parse(value, (_key, parsedValue: unknown, context?: ReviverContext) => {
      if (typeof parsedValue === 'number' && context?.source !== JSON.stringify(parsedValue)) exact = false;
      return parsedValue;
    });
    return exact ? result : value;
  } catch {
    return value;
  }
}

function schemaNote(decoded: DecodedData | { error: string }): SchemaNote {
  return 'error' in decoded ? { error: decoded.error } : { format: decoded.format, schemaId: decoded.schemaId };
}

/** Decodes what is framed of `record`; a failure is noted, never thrown. */
export async function decodeFramed(record: FetchedRecord, decoder: InspectDecoder): Promise<SchemaDecoding> {
  const side = async (bytes: Buffer | null): Promise<DecodedData | { error: string } | undefined> => {
    if (bytes === null) return undefined;
    try {
      return await decoder.decode(bytes);
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  const [key, value] = await Promise.all([side(record.key), side(record.value)]);
  return { ...(key === undefined ? {} : { key }), ...(value === undefined ? {} : { value }) };
}

/** The printed form of a record, with what `schemas` decoded of it. */
export function inspectedRecord(record: FetchedRecord, schemas: SchemaDecoding = {}): InspectedRecord {
  const decodedKey = schemas.key !== undefined && !('error' in schemas.key) ? schemas.key.value : undefined;
  const decodedValue = schemas.value !== undefined && !('error' in schemas.value) ? schemas.value.value : undefined;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestampMs,
    key: record.key?.toString('base64') ?? null,
    value: record.value?.toString('base64') ?? null,
    headers: record.headers.map(({ name, value }) => ({ name, value: value?.toString('base64') ?? null })),
    decoded: {
      key: decodedKey === undefined ? text(record.key) : (decodedKey as string | null),
      value: decodedValue === undefined ? parsed(record.value) : decodedValue,
      headers: Object.fromEntries(record.headers.map(({ name, value }) => [name, value === null ? null : (text(value) ?? value.toString('base64'))])),
      timestamp: new Date(record.timestampMs).toISOString(),
      ...(schemas.key === undefined ? {} : { keySchema: schemaNote(schemas.key) }),
      ...(schemas.value === undefined ? {} : { valueSchema: schemaNote(schemas.value) }),
    },
  };
}

/**
 * Prints records of `options.topic` and resolves with how many were printed.
 *
 * @throws {InspectUsageError} when asked to use a forbidden group or the topic does not exist.
 */
export async function inspectTopic(options: InspectOptions): Promise<number> {
  const { config, topic, logger } = options;
  const clock = options.clock ?? systemClock;
  const throwaway = options.groupId === undefined;
  const groupId = options.groupId ?? `inspect-${clock.nowMs().toString(36)}-${randomBytes(4).toString('hex')}`;
  if (options.forbiddenGroups?.includes(groupId) === true) {
    throw new InspectUsageError(`group "${groupId}" belongs to the pipeline; inspecting with it would take its partitions away`);
  }
  const offsets = createOffsetReader(config.kafka, logger);
  if (!(await offsets.topicExists(topic))) {
    await offsets.close();
    throw new InspectUsageError(`topic "${topic}" does not exist`);
  }
  // Everything up to these offsets was in the topic at start; reading it all means caught up.
  const remaining = new Map<number, bigint>();
  if (options.fromBeginning) {
    for (const { partition, low, high } of await offsets.partitionRanges(topic)) {
      if (BigInt(high) > BigInt(low)) remaining.set(partition, BigInt(high));
    }
  }
  let printed = 0;
  let lastRecordMs = clock.nowMs();
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const limitReached = (): boolean => options.limit !== undefined && printed >= options.limit;
  if (limitReached() || (options.fromBeginning && remaining.size === 0)) finish();
  if (options.signal?.aborted === true) finish();
  options.signal?.addEventListener('abort', () => finish(), { once: true });

  const consumer = createPartitionConsumer(config.kafka, {
    groupId,
    topic,
    fromBeginning: options.fromBeginning,
    maxWaitTimeMs: 200,
    partitionsConcurrently: 1,
    logger,
    // Joining the group takes a moment; idleness counts from when partitions arrive.
    onAssigned: () => {
      lastRecordMs = clock.nowMs();
    },
  });
  const idle = setInterval(
    () => {
      if (clock.nowMs() - lastRecordMs >= options.idleMs) finish();
    },
    Math.min(250, options.idleMs),
  );
  try {
    await consumer.start(async (batch, control) => {
      for (const record of batch.records) {
        if (limitReached()) break;
        options.write(JSON.stringify(inspectedRecord(record, options.decoder === undefined ? {} : await decodeFramed(record, options.decoder))));
        printed += 1;
        lastRecordMs = clock.nowMs();
        control.advance(BigInt(record.offset) + 1n);
        const end = remaining.get(record.partition);
        if (end !== undefined && BigInt(record.offset) + 1n >= end) remaining.delete(record.partition);
      }
      if (limitReached() || (options.fromBeginning && remaining.size === 0)) finish();
    });
    await finished;
  } finally {
    clearInterval(idle);
    await consumer.stop();
    // A throwaway group never committed anything; removing it leaves no trace on the cluster.
    if (throwaway) await offsets.deleteGroup(groupId).catch((error: unknown) => logger.debug('inspect: could not delete its group', errorFields(error)));
    await offsets.close();
  }
  return printed;
}
