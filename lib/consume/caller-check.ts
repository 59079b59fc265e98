/**
 * The consumer's check of the produce function's caller header: its MAC, verified against the
 * record with the container's keys, and every header that fails counted in the metric
 * `CallerHeadersRejected` (by reason). No request to AWS per record: the keys were read once.
 */
import { verifyCallerHeader } from '../caller-mac/header';
import type { CallerKeyRing } from '../caller-mac/key-ring';
import { lastHeaderNamed, MESSAGE_ID_HEADER } from '../headers';
import { MetricName, type MetricsRecorder } from '../observability/metrics';
import type { ConsumedRecord } from './event';
import type { CallerCheck } from './message-id';

/**
 * The bytes of the record's last `message-id` header (the one its message id comes from), or null
 * when there is none or its value is Kafka's null: the produce function's MAC covers what it
 * sent, always a non-empty id, so a record whose last id is null verifies against no stamp.
 */
function lastMessageIdHeader(record: ConsumedRecord): Buffer | null {
  return lastHeaderNamed(record.headers, MESSAGE_ID_HEADER)?.value ?? null;
}

/** The check for `ring`; rejections are counted in `metrics`. */
export function createCallerCheck(ring: CallerKeyRing, metrics: MetricsRecorder): CallerCheck {
  return (header, record) => {
    const check = verifyCallerHeader(ring, header, { topic: record.topic, messageId: lastMessageIdHeader(record), key: record.key, value: record.value });
    if (check.verified) return check.callerId;
    metrics.count(MetricName.CallerHeadersRejected, 1, { name: 'reason', value: check.reason });
    return undefined;
  };
}
