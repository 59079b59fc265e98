/**
 * The consume function's Kafka event source mapping settings, read from the one file that
 * `serverless.yml` also reads (`deploy/event-source.json`), so the deployed mapping
 * and the local emulator never disagree.
 */
import settingsFile from '../deploy/event-source.json';
import { isTopicName } from '../lib/topic-name';

/** Where a consumer group without committed offsets starts reading. */
export const StartingPosition = { TrimHorizon: 'TRIM_HORIZON', Latest: 'LATEST' } as const;
export type StartingPosition = (typeof StartingPosition)[keyof typeof StartingPosition];

/** The event source mapping's settings, with the same names as in `event-source.json`. */
export interface EventSourceSettings {
  topic: string;
  /** Partitions the topic is created with locally. */
  partitions: number;
  /** Most records in one invocation (Lambda's BatchSize, 1 to 10,000). */
  batchSize: number;
  /** How long records are gathered before an invocation (Lambda's MaximumBatchingWindowInSeconds). */
  maximumBatchingWindowInSeconds: number;
  startingPosition: StartingPosition;
  consumerGroupId: string;
  /** Retries of a failing record after its first attempt, before it goes to `onFailureTopic`. */
  maximumRetryAttempts: number;
  /** The on-failure destination: a Kafka topic on the same cluster. */
  onFailureTopic: string;
}

/** Raised when `event-source.json` holds a value the emulator cannot honour. */
export class EventSourceSettingsError extends Error {}

function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new EventSourceSettingsError(`event-source.json: ${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function topicName(value: unknown, name: string): string {
  if (!isTopicName(value)) {
    throw new EventSourceSettingsError(`event-source.json: ${name} must be a Kafka topic name, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Validates raw settings (as parsed from JSON).
 *
 * @throws {EventSourceSettingsError} naming the first bad field.
 */
export function parseEventSourceSettings(raw: Record<string, unknown>): EventSourceSettings {
  const positions: readonly unknown[] = Object.values(StartingPosition);
  if (!positions.includes(raw.startingPosition)) {
    throw new EventSourceSettingsError(`event-source.json: startingPosition must be TRIM_HORIZON or LATEST, got ${JSON.stringify(raw.startingPosition)}`);
  }
  if (typeof raw.consumerGroupId !== 'string' || raw.consumerGroupId === '') {
    throw new EventSourceSettingsError('event-source.json: consumerGroupId must be a non-empty string');
  }
  const settings: EventSourceSettings = {
    topic: topicName(raw.topic, 'topic'),
    partitions: wholeNumber(raw.partitions, 'partitions', 1, 10_000),
    batchSize: wholeNumber(raw.batchSize, 'batchSize', 1, 10_000),
    maximumBatchingWindowInSeconds: wholeNumber(raw.maximumBatchingWindowInSeconds, 'maximumBatchingWindowInSeconds', 0, 300),
    startingPosition: raw.startingPosition as StartingPosition,
    consumerGroupId: raw.consumerGroupId,
    maximumRetryAttempts: wholeNumber(raw.maximumRetryAttempts, 'maximumRetryAttempts', 0, 10_000),
    onFailureTopic: topicName(raw.onFailureTopic, 'onFailureTopic'),
  };
  // Lambda refuses a destination equal to the source topic: it would loop forever.
  if (settings.onFailureTopic === settings.topic) {
    throw new EventSourceSettingsError('event-source.json: onFailureTopic must differ from topic');
  }
  return settings;
}

/** The settings from `deploy/event-source.json`. */
export function readEventSourceSettings(): EventSourceSettings {
  return parseEventSourceSettings(settingsFile as Record<string, unknown>);
}
