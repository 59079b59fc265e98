/**
 * Kafka's own rule for topic names (org.apache.kafka.common.internals.Topic#validate): the one
 * home of it, shared by the configuration (`ALLOWED_TOPICS`), the Kafka door (the topics it
 * lists), the produce API and the local event source. It depends on nothing, so that the
 * configuration never reaches into a door for it.
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
