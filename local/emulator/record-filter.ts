/**
 * The mapping's FilterCriteria applied to Kafka records as Lambda applies them
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-filtering.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html): up to five
 * patterns, ORed; a record is delivered when any matches, and committed without delivery
 * otherwise. Patterns see the record as the event carries it, with `value` decoded: a JSON
 * value (an object or array) is matched by a nested pattern under `value`, a plain UTF-8 value
 * by a list of conditions under `value`. Where the two do not agree (or the value is not
 * UTF-8), Lambda leaves the value out and filters on the record's other properties only.
 */
import type { FetchedRecord } from '../kafka/consumer';
import { compileEventPattern, type EventMatcher } from './event-pattern';

/** How a record's value reads for filtering. */
type ValueView = { kind: 'json'; value: unknown } | { kind: 'plain'; value: string } | { kind: 'none' } | { kind: 'binary' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a value as JSON (an object or array), plain UTF-8 text, or neither. */
export function valueView(value: Buffer | null): ValueView {
  if (value === null) return { kind: 'none' };
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { kind: 'binary' };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) return { kind: 'json', value: parsed };
  } catch {
    // Not JSON: plain text.
  }
  return { kind: 'plain', value: text };
}

/** The record's properties apart from its value, as the event names them. */
function metadata(record: FetchedRecord): Record<string, unknown> {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: record.timestampMs,
    timestampType: 'CREATE_TIME',
    ...(record.key === null ? {} : { key: record.key.toString('base64') }),
  };
}

interface CompiledFilter {
  /** What the pattern expects of `value`: a nested pattern (json), a list of conditions (plain), or nothing. */
  valueKind: 'json' | 'plain' | undefined;
  whole: EventMatcher;
  withoutValue: EventMatcher;
}

function compileFilter(pattern: Record<string, unknown>): CompiledFilter {
  const { value, ...rest } = pattern;
  const valueKind = value === undefined ? undefined : Array.isArray(value) ? 'plain' : 'json';
  return { valueKind, whole: compileEventPattern(pattern), withoutValue: compileEventPattern(rest) };
}

function matches(filter: CompiledFilter, record: FetchedRecord, view: ValueView): boolean {
  const base = metadata(record);
  if (filter.valueKind === undefined || view.kind === 'none') return filter.whole(base);
  if (view.kind === filter.valueKind) return filter.whole({ ...base, value: view.value });
  return filter.withoutValue(base);
}

/** A predicate over records: true when the record is delivered. */
export type RecordFilter = (record: FetchedRecord) => boolean;

/**
 * Compiles the mapping's filter patterns; with none, every record is delivered.
 *
 * @throws {EventPatternError} for a pattern that is not valid EventBridge syntax.
 */
export function compileRecordFilter(patterns: readonly Record<string, unknown>[]): RecordFilter {
  if (patterns.length === 0) return () => true;
  const filters = patterns.map(compileFilter);
  return (record) => {
    const view = valueView(record.value);
    return filters.some((filter) => matches(filter, record, view));
  };
}
