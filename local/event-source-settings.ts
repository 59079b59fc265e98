/**
 * The consume function's Kafka event source mapping settings, read from the one file that
 * `serverless.yml` also reads (`deploy/event-source.json`), so the deployed mapping
 * and the local emulator never disagree. Each setting is checked against the range Lambda
 * accepts (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html), with an error
 * naming the setting and its allowed values.
 */
import settingsFile from '../deploy/event-source.json';
import { isTopicName } from '../lib/topic-name';
import { compileEventPattern, EventPatternError } from './emulator/event-pattern';

/** Where a consumer group without committed offsets starts reading. */
export const StartingPosition = { TrimHorizon: 'TRIM_HORIZON', Latest: 'LATEST' } as const;
export type StartingPosition = (typeof StartingPosition)[keyof typeof StartingPosition];

/** Most filter patterns a mapping's FilterCriteria may hold (Lambda's default quota). */
export const MAX_FILTER_PATTERNS = 5;

/**
 * Retries Lambda applies when `maximumRetryAttempts` is -1 (infinite) and an on-failure
 * destination is set (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html).
 */
export const RETRIES_WITH_DESTINATION = 10;

/** The mapping's provisioned mode, which Kafka retries and on-failure destinations require. */
export interface ProvisionedPollers {
  /** 1 to 200. */
  minimum: number;
  /** `minimum` to 2,000. */
  maximum: number;
}

/** The event source mapping's settings, with the same names as in `event-source.json`. */
export interface EventSourceSettings {
  topic: string;
  /** Partitions the topic is created with locally. */
  partitions: number;
  /** Most records in one invocation (Lambda's BatchSize, 1 to 10,000). */
  batchSize: number;
  /** How long records are gathered before an invocation (Lambda's MaximumBatchingWindowInSeconds, 0 to 300). */
  maximumBatchingWindowInSeconds: number;
  startingPosition: StartingPosition;
  consumerGroupId: string;
  /** Retries of a failing record after its first attempt, before it goes to `onFailureTopic`: -1 (infinite) or 0 to 10,000. */
  maximumRetryAttempts: number;
  /** Records older than this are not delivered but sent to `onFailureTopic`: -1 (no limit) or 60 to 604,800 seconds. */
  maximumRecordAgeInSeconds: number;
  /** On a function error (thrown, timed out, invalid answer), split the batch in two and retry the halves. */
  bisectBatchOnFunctionError: boolean;
  /** FilterCriteria: up to 5 EventBridge patterns, ORed; records no pattern matches are committed undelivered. */
  filterPatterns: Record<string, unknown>[];
  /** The on-failure destination: a Kafka topic on the same cluster. */
  onFailureTopic: string;
  provisionedPollers: ProvisionedPollers;
}

/** Raised when `event-source.json` holds a value the emulator cannot honour. */
export class EventSourceSettingsError extends Error {}

function refuse(message: string): never {
  throw new EventSourceSettingsError(`event-source.json: ${message}`);
}

function wholeNumber(value: unknown, name: string, min: number, max: number, also?: number): number {
  const inRange = typeof value === 'number' && Number.isInteger(value) && ((value >= min && value <= max) || value === also);
  if (!inRange) {
    const allowed = also === undefined ? `from ${min} to ${max}` : `${also}, or from ${min} to ${max}`;
    refuse(`${name} must be a whole number ${allowed}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function topicName(value: unknown, name: string): string {
  if (!isTopicName(value)) refuse(`${name} must be a Kafka topic name, got ${JSON.stringify(value)}`);
  return value;
}

function filterPatterns(value: unknown): Record<string, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_FILTER_PATTERNS) refuse(`filterPatterns must be a list of at most ${MAX_FILTER_PATTERNS} patterns`);
  return value.map((pattern, index) => {
    try {
      compileEventPattern(pattern);
    } catch (error) {
      if (error instanceof EventPatternError) refuse(`filterPatterns[${index}]: ${error.message}`);
      throw error;
    }
    return pattern as Record<string, unknown>;
  });
}

function provisionedPollers(value: unknown): ProvisionedPollers {
  if (typeof value !== 'object' || value === null) refuse('provisionedPollers must be {"minimum": n, "maximum": n}');
  const raw = value as Record<string, unknown>;
  const minimum = wholeNumber(raw.minimum, 'provisionedPollers.minimum', 1, 200);
  const maximum = wholeNumber(raw.maximum, 'provisionedPollers.maximum', minimum, 2_000);
  return { minimum, maximum };
}

/**
 * Validates raw settings (as parsed from JSON). `maximumRecordAgeInSeconds`,
 * `bisectBatchOnFunctionError` and `filterPatterns` default to Lambda's defaults (-1, false, none).
 *
 * @throws {EventSourceSettingsError} naming the first bad field and what it allows.
 */
export function parseEventSourceSettings(raw: Record<string, unknown>): EventSourceSettings {
  const positions: readonly unknown[] = Object.values(StartingPosition);
  if (!positions.includes(raw.startingPosition)) refuse(`startingPosition must be TRIM_HORIZON or LATEST, got ${JSON.stringify(raw.startingPosition)}`);
  if (typeof raw.consumerGroupId !== 'string' || raw.consumerGroupId === '') refuse('consumerGroupId must be a non-empty string');
  const bisect = raw.bisectBatchOnFunctionError ?? false;
  if (typeof bisect !== 'boolean') refuse(`bisectBatchOnFunctionError must be true or false, got ${JSON.stringify(bisect)}`);
  const settings: EventSourceSettings = {
    topic: topicName(raw.topic, 'topic'),
    partitions: wholeNumber(raw.partitions, 'partitions', 1, 10_000),
    batchSize: wholeNumber(raw.batchSize, 'batchSize', 1, 10_000),
    maximumBatchingWindowInSeconds: wholeNumber(raw.maximumBatchingWindowInSeconds, 'maximumBatchingWindowInSeconds', 0, 300),
    startingPosition: raw.startingPosition as StartingPosition,
    consumerGroupId: raw.consumerGroupId as string,
    maximumRetryAttempts: wholeNumber(raw.maximumRetryAttempts, 'maximumRetryAttempts', 0, 10_000, -1),
    maximumRecordAgeInSeconds: wholeNumber(raw.maximumRecordAgeInSeconds ?? -1, 'maximumRecordAgeInSeconds', 60, 604_800, -1),
    bisectBatchOnFunctionError: bisect,
    filterPatterns: filterPatterns(raw.filterPatterns),
    onFailureTopic: topicName(raw.onFailureTopic, 'onFailureTopic'),
    provisionedPollers: provisionedPollers(raw.provisionedPollers ?? { minimum: 1, maximum: 1 }),
  };
  // Lambda refuses a destination equal to the source topic: it would loop forever.
  if (settings.onFailureTopic === settings.topic) refuse('onFailureTopic must differ from topic');
  return settings;
}

/**
 * The retries the mapping really makes: `maximumRetryAttempts`, except that infinite (-1)
 * with an on-failure destination (the emulator always has one) means 10, as Lambda applies it.
 */
export function effectiveRetryAttempts(settings: Pick<EventSourceSettings, 'maximumRetryAttempts'>): number {
  return settings.maximumRetryAttempts === -1 ? RETRIES_WITH_DESTINATION : settings.maximumRetryAttempts;
}

/** The settings from `deploy/event-source.json`. */
export function readEventSourceSettings(): EventSourceSettings {
  return parseEventSourceSettings(settingsFile as Record<string, unknown>);
}
