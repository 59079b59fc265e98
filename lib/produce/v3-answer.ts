/**
 * The answer writers of the REST Proxy v3 produce routes: Confluent's `ProduceResponse`, one
 * report per record (each followed by CRLF, as Confluent's streaming answer separates them),
 * and the `records:batch` answer, 207 with `successes` and `failures` by entry id. A record
 * that was not produced is reported with its own `error_code` and `message`; the HTTP status
 * says only that the request was taken.
 */
import type { AppError } from '../errors';
import { KAFKA_V3_MEDIA_TYPE } from '../http/json-response';
import { httpErrorAnswerOf } from '../http/status';
import { isRefused, type AnswerWriter, type RecordOutcome, type RecordSlot } from './command';
import type { V3DataType } from './v3-data';
import type { ProduceRecord } from './validation';

/** Confluent separates the reports of a streamed produce with CRLF (ChunkedOutputFactory). */
export const REPORT_SEPARATOR = '\r\n';

/** What a report says of a key or value: its type and, written with a schema, the schema's subject, id and version there. */
export interface V3DataReport {
  type: V3DataType;
  subject?: string;
  schemaId?: number;
  schemaVersion?: number;
}

/** The reports of a record's key and value; undefined when the request gave none. */
export interface V3RecordTypes {
  key: V3DataReport | undefined;
  value: V3DataReport | undefined;
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
  if (types?.key !== undefined) report.key = dataReport(types.key, record.key);
  if (types?.value !== undefined) report.value = dataReport(types.value, record.value);
  return report;
}

/** Confluent's `ProduceResponseData` of a key or value. */
function dataReport(report: V3DataReport, bytes: Buffer | null): Record<string, unknown> {
  const data: Record<string, unknown> = { type: report.type, size: bytes?.length ?? 0 };
  if (report.subject !== undefined) Object.assign(data, { subject: report.subject, schema_id: report.schemaId, schema_version: report.schemaVersion });
  return data;
}

function errorOf(slot: RecordSlot, outcome: RecordOutcome): AppError | null {
  return isRefused(slot) ? slot : outcome.error;
}

/** `,"key":{"type":...,"size":...}` (or value) of a report; empty when the request gave none. */
function dataText(member: 'key' | 'value', report: V3DataReport | undefined, bytes: Buffer | null): string {
  if (report === undefined) return '';
  if (report.subject !== undefined) return `,"${member}":${JSON.stringify(dataReport(report, bytes))}`;
  return `,"${member}":{"type":"${report.type}","size":${bytes?.length ?? 0}}`;
}

/**
 * The writer of `POST .../records`: 200, one `ProduceResponse` per record in request order.
 * A produced record's report is written as text, byte for byte what `JSON.stringify` gives
 * for it (the cluster and topic escaped once per request, the types from a fixed list), as
 * the v2 answer is: it is a hundred objects per request otherwise.
 */
export function v3RecordsWriter(context: () => V3AnswerContext): AnswerWriter {
  return {
    mediaType: KAFKA_V3_MEDIA_TYPE,
    completeStatus: 200,
    answersEachRecord: true,
    write(slots, outcomes) {
      const known = context();
      // The records of one request mostly share one timestamp: each distinct one is written once.
      let lastMs: number | undefined;
      let lastIso = 'null';
      const prefix = `{"error_code":200,"cluster_id":${JSON.stringify(known.clusterId)},"topic_name":${JSON.stringify(known.topic)},"partition_id":`;
      let body = '';
      let statusCode = 200;
      for (let index = 0; index < slots.length; index += 1) {
        const slot = slots[index] as RecordSlot;
        const outcome = outcomes[index] as RecordOutcome;
        const error = errorOf(slot, outcome);
        if (error !== null) {
          const answer = httpErrorAnswerOf(error);
          // A record the broker did not acknowledge makes the request's status its (503 or 500), as on
          // v2: a 200 is only ever an answer whose every record that was sent was acknowledged. So does
          // one refused for a reason a retry may mend (the schema registry unavailable: 503). A record
          // refused for good before sending (invalid, or naming a missing partition) is only reported.
          if ((!isRefused(slot) || slot.retriable) && statusCode === 200) statusCode = answer.status;
          body += JSON.stringify({ error_code: answer.errorCode, message: error.message }) + REPORT_SEPARATOR;
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
      return { statusCode, body };
    },
  };
}

/** The writer of `POST .../records:batch`: 207 with `successes` and `failures`, each by entry id, in request order. */
export function v3BatchWriter(context: () => V3AnswerContext & { ids: readonly string[] }): AnswerWriter {
  return {
    mediaType: KAFKA_V3_MEDIA_TYPE,
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
