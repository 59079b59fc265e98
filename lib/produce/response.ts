/** The REST Proxy v2 produce response body and the per-record entries it lists: the v2 routes' answer writer. */
import type { AppError } from '../errors';
import { KAFKA_V2_MEDIA_TYPE } from '../http/json-response';
import { httpErrorAnswerOf } from '../http/status';
import type { AnswerWriter, RecordOutcome, WrittenAnswer } from './command';

/** One record's outcome, in request order. */
export interface OffsetEntry {
  partition: number | null;
  offset: number | null;
  /** Null when acknowledged; 50003 (retriable) or 50002 otherwise. */
  error_code: number | null;
  error: string | null;
}

/** The response body of `POST /topics/{topic}` (successful or with failed records). */
export interface ProduceResponseBody {
  key_schema_id: number | null;
  value_schema_id: number | null;
  offsets: OffsetEntry[];
}

/** The ids of the schemas a request's records were written with (null: none), as the v2 answer carries them. */
export interface SchemaIds {
  keySchemaId: number | null;
  valueSchemaId: number | null;
}

/** No schema: the json and binary formats' answer. */
export const NO_SCHEMA_IDS: SchemaIds = { keySchemaId: null, valueSchemaId: null };

/** Wraps entries in the REST Proxy envelope. */
export function produceResponseBody(offsets: OffsetEntry[]): ProduceResponseBody {
  return { key_schema_id: null, value_schema_id: null, offsets };
}

/** An entry for a record that was not acknowledged, carrying `error`'s REST Proxy code and its message. */
export function failedEntry(error: AppError): OffsetEntry {
  return { partition: null, offset: null, error_code: httpErrorAnswerOf(error).errorCode, error: error.message };
}

/**
 * The JSON text of {@link produceResponseBody} for `offsets` (and the schema ids used, null by default), byte for byte what
 * `JSON.stringify` gives, written directly: the acknowledged entries (all of them, on a 200)
 * are four fields of numbers and nulls, and one string built from them costs less than an
 * object per record serialised afterwards.
 */
export function produceResponseText(offsets: readonly OffsetEntry[], schemaIds: SchemaIds = NO_SCHEMA_IDS): string {
  let text = `{"key_schema_id":${schemaIds.keySchemaId},"value_schema_id":${schemaIds.valueSchemaId},"offsets":[`;
  for (let index = 0; index < offsets.length; index += 1) {
    const entry = offsets[index] as OffsetEntry;
    if (index > 0) text += ',';
    // Speed only: for every entry the service builds (an acknowledged one has a partition and an
    // offset, a failed one has neither) the template writes what JSON.stringify would, so no
    // test can tell the paths apart.
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: equivalent, as said above.
    const plain = entry.error_code === null && entry.error === null && entry.partition !== null && entry.offset !== null;
    text += plain ? `{"partition":${entry.partition},"offset":${entry.offset},"error_code":null,"error":null}` : JSON.stringify(entry);
  }
  return `${text}]}`;
}

/** The entry of one record's outcome. */
export function offsetEntryOf(outcome: RecordOutcome): OffsetEntry {
  if (outcome.error !== null) return failedEntry(outcome.error);
  return { partition: outcome.partition, offset: outcome.offset, error_code: null, error: null };
}

/**
 * The answer of the v2 produce routes: 200 with every record's offset when all were
 * acknowledged; otherwise the status of the first record that was not (503 when retrying may
 * help, 500 otherwise), with the same body, the failed entries carrying their code and message.
 */
export const V2_ANSWER_WRITER: AnswerWriter = v2AnswerWriter(() => NO_SCHEMA_IDS);

/**
 * The v2 answer writer of a request whose schema ids are known once its records are read
 * (the schema'd formats resolve their schemas while reading): `schemaIds` is asked when the
 * answer is written.
 */
export function v2AnswerWriter(schemaIds: () => SchemaIds): AnswerWriter {
  return {
    mediaType: KAFKA_V2_MEDIA_TYPE,
    completeStatus: 200,
    answersEachRecord: false,
    write: (_slots, outcomes) => writeV2Answer(outcomes, schemaIds()),
  };
}

function writeV2Answer(outcomes: readonly RecordOutcome[], schemaIds: SchemaIds): WrittenAnswer {
  let statusCode = 200;
  // Stryker disable next-line ArrayDeclaration: speed only; the loop fills every index of an empty array as well.
  const entries: OffsetEntry[] = new Array(outcomes.length);
  for (let index = 0; index < outcomes.length; index += 1) {
    const outcome = outcomes[index] as RecordOutcome;
    if (outcome.error !== null && statusCode === 200) statusCode = httpErrorAnswerOf(outcome.error).status;
    entries[index] = offsetEntryOf(outcome);
  }
  return { statusCode, body: produceResponseText(entries, schemaIds) };
}
