/**
 * The answer writers of the REST Proxy v3 produce routes: Confluent's `ProduceResponse`, one
 * report per record (each followed by CRLF, as Confluent's streaming answer separates them),
 * and the `records:batch` answer, 207 with `successes` and `failures` by entry id. A record
 * that was not produced is reported with its own `error_code` and `message`; the HTTP status
 * says only that the request was taken.
 */
import type { AppError } from '../errors';
import { httpErrorAnswerOf } from '../http/status';
import { isRefused, type AnswerWriter, type RecordOutcome, type RecordSlot } from './command';
import type { V3DataType } from './v3-data';
import type { ProduceRecord } from './validation';

/** The media type of the v3 answers. */
export const V3_ANSWER_MEDIA_TYPE = 'application/json';

/** Confluent separates the reports of a streamed produce with CRLF (ChunkedOutputFactory). */
export const REPORT_SEPARATOR = '\r\n';

/** The `type` of a record's key and value as the request gave them; undefined when it gave none. */
export interface V3RecordTypes {
  key: V3DataType | undefined;
  value: V3DataType | undefined;
}

/** What the writers need of the request, known once it was read. */
export interface V3AnswerContext {
  clusterId: string;
  topic: string;
  /** Per record, in request order. */
  types: readonly V3RecordTypes[];
}

/** A produced record's report, without `error_code` (a batch success has none). */
function producedReport(context: V3AnswerContext, index: number, record: ProduceRecord, outcome: RecordOutcome): Record<string, unknown> {
  const types = context.types[index];
  const report: Record<string, unknown> = {
    cluster_id: context.clusterId,
    topic_name: context.topic,
    partition_id: outcome.partition,
    offset: outcome.offset,
    timestamp: record.timestampMs === undefined ? null : new Date(record.timestampMs).toISOString(),
  };
  if (types?.key !== undefined) report.key = { type: types.key, size: record.key?.length ?? 0 };
  if (types?.value !== undefined) report.value = { type: types.value, size: record.value?.length ?? 0 };
  return report;
}

function errorOf(slot: RecordSlot, outcome: RecordOutcome): AppError | null {
  return isRefused(slot) ? slot : outcome.error;
}

/** `,"key":{"type":...,"size":...}` (or value) of a report; empty when the request gave none. */
function dataText(member: 'key' | 'value', type: V3DataType | undefined, bytes: Buffer | null): string {
  return type === undefined ? '' : `,"${member}":{"type":"${type}","size":${bytes?.length ?? 0}}`;
}

/**
 * The writer of `POST .../records`: 200, one `ProduceResponse` per record in request order.
 * A produced record's report is written as text, byte for byte what `JSON.stringify` gives
 * for it (the cluster and topic escaped once per request, the types from a fixed list), as
 * the v2 answer is: it is a hundred objects per request otherwise.
 */
export function v3RecordsWriter(context: () => V3AnswerContext): AnswerWriter {
  return {
    mediaType: V3_ANSWER_MEDIA_TYPE,
    completeStatus: 200,
    answersEachRecord: true,
    write(slots, outcomes) {
      const known = context();
      // The records of one request mostly share one timestamp: each distinct one is written once.
      let lastMs: number | undefined;
      let lastIso = 'null';
      const prefix = `{"error_code":200,"cluster_id":${JSON.stringify(known.clusterId)},"topic_name":${JSON.stringify(known.topic)},"partition_id":`;
      let body = '';
      for (let index = 0; index < slots.length; index += 1) {
        const slot = slots[index] as RecordSlot;
        const outcome = outcomes[index] as RecordOutcome;
        const error = errorOf(slot, outcome);
        if (error !== null) {
          body += JSON.stringify({ error_code: httpErrorAnswerOf(error).errorCode, message: error.message }) + REPORT_SEPARATOR;
          continue;
        }
        const record = slot as ProduceRecord;
        const types = known.types[index];
        if (record.timestampMs !== lastMs) {
          lastMs = record.timestampMs;
          lastIso = lastMs === undefined ? 'null' : `"${new Date(lastMs).toISOString()}"`;
        }
        const timestamp = record.timestampMs === undefined ? 'null' : lastIso;
        body += `${prefix}${outcome.partition},"offset":${outcome.offset},"timestamp":${timestamp}${dataText('key', types?.key, record.key)}${dataText('value', types?.value, record.value)}}${REPORT_SEPARATOR}`;
      }
      return { statusCode: 200, body };
    },
  };
}

/** The writer of `POST .../records:batch`: 207 with `successes` and `failures`, each by entry id, in request order. */
export function v3BatchWriter(context: () => V3AnswerContext & { ids: readonly string[] }): AnswerWriter {
  return {
    mediaType: V3_ANSWER_MEDIA_TYPE,
    completeStatus: 207,
    answersEachRecord: true,
    write(slots, outcomes) {
      const known = context();
      const successes: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (let index = 0; index < slots.length; index += 1) {
        const slot = slots[index] as RecordSlot;
        const outcome = outcomes[index] as RecordOutcome;
        const id = known.ids[index];
        const error = errorOf(slot, outcome);
        if (error === null) successes.push({ id, ...producedReport(known, index, slot as ProduceRecord, outcome) });
        else failures.push({ id, error_code: httpErrorAnswerOf(error).errorCode, message: error.message });
      }
      return { statusCode: 207, body: JSON.stringify({ successes, failures }) };
    },
  };
}
