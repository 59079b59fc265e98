/**
 * At which level a kafkajs log entry reaches the project's log. kafkajs logs an ERROR for
 * every error response, also those it retries and that clear by themselves (a broker still
 * electing leaders or loading its coordinator right after it starts); when the retries run
 * out, the request that needed them fails and logs its own error. Those are debug lines here.
 */
import { logLevel as KafkaLogLevel } from 'kafkajs';

/** Where an entry goes: the project's warn or debug level, or nowhere. */
export const KafkaLogRoute = { Warn: 'warn', Debug: 'debug', Drop: 'drop' } as const;
export type KafkaLogRoute = (typeof KafkaLogRoute)[keyof typeof KafkaLogRoute];

/**
 * kafkajs' messages for the retriable error responses of a broker that is starting, electing
 * leaders or moving a coordinator (its `protocol/error.js`, codes 5, 6, 14, 15, 16).
 */
const TRANSIENT_RESPONSE_ERRORS: ReadonlySet<string> = new Set([
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
]);

/**
 * kafkajs warns this whenever an idempotent producer's retries are bounded. The promise holds
 * here all the same (docs/api.md, "Producer"): a failed send drops the client, so no
 * producer resumes its sequence numbers after a send whose outcome is unknown; the caller's
 * retry goes out with the same `message-id`s, which the consumer applies once; and the
 * retries end within the request's budget, as Lambda's timeout would end them anyway.
 */
const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

/**
 * The route of one kafkajs log entry.
 *
 * @param level - kafkajs' level of the entry.
 * @param message - its message.
 * @param error - its `error` field, the broker's error message for an error response.
 */
export function kafkaLogRoute(level: KafkaLogLevel, message: string, error: unknown): KafkaLogRoute {
  if (message === BOUNDED_RETRIES_WARNING) return KafkaLogRoute.Drop;
  if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) {
    return typeof error === 'string' && TRANSIENT_RESPONSE_ERRORS.has(error) ? KafkaLogRoute.Debug : KafkaLogRoute.Warn;
  }
  return level === KafkaLogLevel.INFO ? KafkaLogRoute.Debug : KafkaLogRoute.Drop;
}
