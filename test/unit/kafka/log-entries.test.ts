import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaLogRoute } from '../../../lib/kafka/log-entries';

describe('kafkaLogRoute', () => {
  it.each<[string, logLevel, string, unknown, string]>([
    [
      'the bounded-retries warning of the idempotent producer',
      logLevel.WARN,
      'Limiting retries for the idempotent producer may invalidate EoS guarantees',
      undefined,
      'drop',
    ],
    [
      'a coordinator still loading',
      logLevel.ERROR,
      'Response InitProducerId(key: 22, version: 1)',
      "The coordinator is loading and hence can't process requests for this group",
      'debug',
    ],
    ['a coordinator not yet available', logLevel.ERROR, 'Response GroupCoordinator(key: 10, version: 2)', 'The group coordinator is not available', 'debug'],
    [
      'a leader election',
      logLevel.ERROR,
      'Response Metadata(key: 3, version: 6)',
      'There is no leader for this topic-partition as we are in the middle of a leadership election',
      'debug',
    ],
    ['a leader that moved', logLevel.ERROR, 'Response Produce(key: 0, version: 7)', 'This server is not the leader for that topic-partition', 'debug'],
    ['a coordinator that moved', logLevel.ERROR, 'Response Heartbeat(key: 12, version: 3)', 'This is not the correct coordinator for this group', 'debug'],
    ['a missing topic', logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', 'This server does not host this topic-partition', 'warn'],
    ['a refused authentication', logLevel.ERROR, 'Response SaslAuthenticate(key: 36, version: 1)', 'Authentication failed', 'warn'],
    ['a lost connection', logLevel.ERROR, 'Connection error: read ECONNRESET', undefined, 'warn'],
    ['an informational line', logLevel.INFO, 'Starting', undefined, 'debug'],
    ['a debug line', logLevel.DEBUG, 'Request Produce(key: 0, version: 7)', undefined, 'drop'],
  ])('%s: %s', (_, level, message, error, expected) => {
    expect(kafkaLogRoute(level, message, error)).toBe(expected);
  });
});
