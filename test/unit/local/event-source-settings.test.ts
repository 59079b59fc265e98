import { describe, expect, it } from 'vitest';
import { EventSourceSettingsError, parseEventSourceSettings, readEventSourceSettings } from '../../../local/event-source-settings';

const valid = {
  topic: 'events',
  partitions: 3,
  batchSize: 100,
  maximumBatchingWindowInSeconds: 1,
  startingPosition: 'TRIM_HORIZON',
  consumerGroupId: 'consume-function',
  maximumRetryAttempts: 3,
  onFailureTopic: 'events-dlq',
};

describe('event source settings', () => {
  it('reads the shared event-source.json', () => {
    expect(readEventSourceSettings()).toEqual(valid);
  });

  it('names the field that is wrong', () => {
    expect(() => parseEventSourceSettings({ ...valid, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => parseEventSourceSettings({ ...valid, startingPosition: 'AT_TIMESTAMP' })).toThrow(/startingPosition/);
    expect(() => parseEventSourceSettings({ ...valid, onFailureTopic: 'no spaces' })).toThrow(/onFailureTopic/);
  });

  it('refuses an on-failure topic equal to the source topic', () => {
    expect(() => parseEventSourceSettings({ ...valid, onFailureTopic: 'events' })).toThrow(EventSourceSettingsError);
  });
});
