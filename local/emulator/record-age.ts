/**
 * The mapping's MaximumRecordAgeInSeconds: a record older than this when Lambda would send it
 * to the function is not sent but goes to the on-failure destination (condition
 * `RecordAgeExceeded`) (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 * The age is measured from the record's own timestamp, checked before every delivery,
 * retries included.
 */

/** -1: records never expire. */
export const NO_MAXIMUM_AGE = -1;

/** True when a record with `timestampMs` is past `maximumRecordAgeInSeconds` at `nowMs`. */
export function isPastMaximumAge(timestampMs: number, nowMs: number, maximumRecordAgeInSeconds: number): boolean {
  if (maximumRecordAgeInSeconds === NO_MAXIMUM_AGE) return false;
  return nowMs - timestampMs > maximumRecordAgeInSeconds * 1_000;
}
