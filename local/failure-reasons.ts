/**
 * The consume function's reasons for failing records, kept by the local runtime so that the
 * event-source emulator can put the last one into a dead-lettered record's `x-failure-reason`.
 * Lambda itself only reports which records failed; the reason is in the function's logs.
 */
import type { RecordFailure } from '../lib/consume';

// Reasons of records that later succeed are never taken; the oldest go first past this bound.
const MAX_KEPT = 10_000;

/** Last failure reason per record position. */
export class FailureReasons {
  private readonly reasons = new Map<string, string>();

  /** Keeps `failure.reason` as the last reason for its record. */
  record(failure: RecordFailure): void {
    const key = `${failure.topic}\n${failure.partition}\n${failure.offset}`;
    this.reasons.delete(key);
    this.reasons.set(key, failure.reason);
    if (this.reasons.size > MAX_KEPT) this.reasons.delete(this.reasons.keys().next().value as string);
  }

  /** The last reason for the record at this position, forgotten once taken. */
  take(topic: string, partition: number, offset: number): string | undefined {
    const key = `${topic}\n${partition}\n${offset}`;
    const reason = this.reasons.get(key);
    this.reasons.delete(key);
    return reason;
  }
}
