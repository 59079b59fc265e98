/**
 * Kafka's own rule for topic names (org.apache.kafka.common.internals.Topic#validate): the one
 * home of it, shared by the produce API, the configuration and the local event source.
 */

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** The rule in words, for messages that refuse a name. */
export const TOPIC_NAME_RULE = '1 to 249 characters of letters, digits, ".", "_" and "-"';

/**
 * True when `name` is a legal Kafka topic name: 1 to 249 letters, digits, `.`, `_` and `-`,
 * and neither `.` nor `..` (which Kafka refuses as they would name directories).
 */
export function isTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}
