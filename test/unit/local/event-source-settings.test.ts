import { describe, expect, it } from 'vitest';
import { effectiveRetryAttempts, EventSourceSettingsError, parseEventSourceSettings, readEventSourceSettings } from '../../../local/event-source-settings';

const valid = {
  topic: 'events',
  partitions: 3,
  batchSize: 100,
  maximumBatchingWindowInSeconds: 1,
  startingPosition: 'TRIM_HORIZON',
  consumerGroupId: 'consume-function',
  maximumRetryAttempts: 3,
  maximumRecordAgeInSeconds: -1,
  bisectBatchOnFunctionError: false,
  filterPatterns: [],
  onFailureTopic: 'events-dlq',
  provisionedPollers: { minimum: 1, maximum: 3 },
};

describe('event source settings', () => {
  it('reads the shared event-source.json', () => {
    expect(readEventSourceSettings()).toEqual(valid);
  });

  it.each([
    ['batchSize', 0, /batchSize must be a whole number from 1 to 10000, got 0/],
    ['batchSize', 10_001, /batchSize must be a whole number from 1 to 10000/],
    ['maximumBatchingWindowInSeconds', 301, /maximumBatchingWindowInSeconds must be a whole number from 0 to 300/],
    ['maximumBatchingWindowInSeconds', 0.5, /maximumBatchingWindowInSeconds/],
    ['startingPosition', 'AT_TIMESTAMP', /startingPosition must be TRIM_HORIZON or LATEST/],
    ['onFailureTopic', 'no spaces', /onFailureTopic must be a Kafka topic name/],
    ['maximumRetryAttempts', -2, /maximumRetryAttempts must be a whole number -1, or from 0 to 10000, got -2/],
    ['maximumRetryAttempts', 10_001, /maximumRetryAttempts/],
    ['maximumRecordAgeInSeconds', 59, /maximumRecordAgeInSeconds must be a whole number -1, or from 60 to 604800, got 59/],
    ['maximumRecordAgeInSeconds', 604_801, /maximumRecordAgeInSeconds/],
    ['maximumRecordAgeInSeconds', 0, /maximumRecordAgeInSeconds/],
    ['bisectBatchOnFunctionError', 'yes', /bisectBatchOnFunctionError must be true or false/],
    ['filterPatterns', {}, /filterPatterns must be a list of at most 5 patterns/],
    ['filterPatterns', [{}, {}, {}, {}, {}, {}], /at most 5/],
    ['filterPatterns', [{ value: { a: [{ nope: 1 }] } }], /filterPatterns\[0\]: value\.a\[0\]: unknown operator "nope"/],
    ['provisionedPollers', { minimum: 0, maximum: 3 }, /provisionedPollers\.minimum must be a whole number from 1 to 200/],
    ['provisionedPollers', { minimum: 4, maximum: 3 }, /provisionedPollers\.maximum must be a whole number from 4 to 2000/],
  ])('refuses %s = %j, naming the setting and its range', (field, value, message) => {
    expect(() => parseEventSourceSettings({ ...valid, [field]: value })).toThrow(EventSourceSettingsError);
    expect(() => parseEventSourceSettings({ ...valid, [field]: value })).toThrow(message);
  });

  it('accepts the ends of each range', () => {
    const edges = {
      batchSize: 10_000,
      maximumBatchingWindowInSeconds: 0,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: 604_800,
      filterPatterns: [{ value: { a: ['1'] } }, {}, {}, {}, {}],
    };
    expect(parseEventSourceSettings({ ...valid, ...edges })).toMatchObject(edges);
    expect(parseEventSourceSettings({ ...valid, maximumRecordAgeInSeconds: 60, maximumRetryAttempts: 10_000 })).toMatchObject({
      maximumRecordAgeInSeconds: 60,
      maximumRetryAttempts: 10_000,
    });
  });

  it("takes Lambda's defaults for the optional settings", () => {
    const { maximumRecordAgeInSeconds, bisectBatchOnFunctionError, filterPatterns, ...required } = valid;
    expect(parseEventSourceSettings(required)).toMatchObject({ maximumRecordAgeInSeconds: -1, bisectBatchOnFunctionError: false, filterPatterns: [] });
  });

  it('refuses an on-failure topic equal to the source topic', () => {
    expect(() => parseEventSourceSettings({ ...valid, onFailureTopic: 'events' })).toThrow(/onFailureTopic must differ from topic/);
  });

  it('applies at most 10 retries for infinite retries with a destination, as Lambda does', () => {
    expect(effectiveRetryAttempts({ maximumRetryAttempts: -1 })).toBe(10);
    expect(effectiveRetryAttempts({ maximumRetryAttempts: 0 })).toBe(0);
    expect(effectiveRetryAttempts({ maximumRetryAttempts: 10_000 })).toBe(10_000);
  });
});
