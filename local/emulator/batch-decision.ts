/**
 * What the event source emulator does with a partition's batch once the function answered,
 * apart from any I/O, the way Lambda's event source mapping does for Kafka: commit past a
 * batch that succeeded; otherwise commit what was done before the failure and deliver again
 * from it after a backoff, until the failing position has been retried `maximumRetryAttempts`
 * times, when the failing record (after a thrown error, the whole rest of the batch) goes to
 * the on-failure destination and the partition moves past it
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 *
 * With BisectBatchOnFunctionError, a function error (a thrown error, a timeout or an invalid
 * answer, not a reported record) on a batch of more than one record splits it: the first half
 * is delivered next, then the rest of the failed batch, each half split again if it fails,
 * until the failing record is alone. Splitting is not a retry: only a record failing on its
 * own uses up `maximumRetryAttempts`, and then it alone goes to the destination, so the
 * records beside it are processed.
 */
import { BATCH_ITEM_FAILURE, type BatchOutcome } from './batch-outcome';

/** Backoff between attempts of a failing position: `initialMs * 2^(attempt-1)`, at most `maxMs`. */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
}

/** A partition's failing position and how many attempts at it failed so far. */
export interface FailingPosition {
  offset: bigint;
  attempts: number;
}

/** What is known when deciding about one delivered batch. */
export interface BatchFacts {
  outcome: BatchOutcome;
  /** Offsets of the batch's records, ascending. */
  offsets: readonly bigint[];
  /** The partition's failing position before this invocation, if any. */
  previous?: FailingPosition;
  maximumRetryAttempts: number;
  backoff: RetryBackoff;
  /** The mapping's BisectBatchOnFunctionError. */
  bisect?: boolean;
}

/** A bisected batch: until the partition passes `untilOffset`, invocations take at most `batchSize` records. */
export interface BisectWindow {
  untilOffset: bigint;
  batchSize: number;
}

/** What to do with a batch. */
export type BatchDecision =
  /** Everything done: commit (and move on) to `commitOffset`; the partition no longer fails. */
  { kind: 'advance'; commitOffset: bigint; processed: number } | FailedBatchDecision;

/** A batch that failed from `position.offset`: the records before it (`processed`, by offset) are committed first. */
export type FailedBatchDecision = {
  /** Records done before the failure, committed at `position.offset` when more than 0. */
  processed: number;
  position: FailingPosition;
  /** What the failure was: `BatchItemFailure`, or the thrown error's message (as the batch outcome says). */
  functionError: string;
  /** The backoff before delivering again from `position.offset` (also when dead-lettering fails). */
  backoffMs: number;
} & (
  | { kind: 'retry' }
  /** Deliver again from `position.offset` with the batch halved (`window`); no retry is used up. */
  | { kind: 'bisect'; window: BisectWindow }
  | {
      kind: 'dead-letter';
      /** Offsets of the records to send to the on-failure destination. */
      deadLetterOffsets: bigint[];
      /** Where the partition resumes once they are sent. */
      resumeAtOffset: bigint;
      /** Records of the batch from `resumeAtOffset` on (by offset): not processed, delivered next. */
      skipped: number;
    }
);

/** The pause before attempt `attempt + 1` of a failing position. */
export function retryBackoffMs(attempt: number, backoff: RetryBackoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** (attempt - 1));
}

/**
 * The bisected batches still open for a partition resuming at `nextOffset`, outermost first:
 * those it has not passed the end of. A half that fails is split within its parent, so the
 * innermost (last) one limits the next invocation, and once it is done the rest of its parent
 * comes next, still within the parent's window.
 */
export function openWindows(windows: readonly BisectWindow[], nextOffset: bigint): BisectWindow[] {
  return windows.filter((window) => nextOffset < window.untilOffset);
}

/** Decides what follows an invocation of a batch (see the module comment). */
export function decideBatch(facts: BatchFacts): BatchDecision {
  const { outcome, offsets } = facts;
  const last = offsets[offsets.length - 1] ?? 0n;
  if (outcome.kind === 'succeeded') return { kind: 'advance', commitOffset: last + 1n, processed: offsets.length };
  const { failedOffset, functionError } = outcome;
  const earlier = facts.previous?.offset === failedOffset ? facts.previous.attempts : 0;
  // Offsets may have gaps (filtered records are not delivered): count the records before the failure.
  const processed = offsets.filter((offset) => offset < failedOffset).length;
  if (facts.bisect === true && functionError !== BATCH_ITEM_FAILURE && offsets.length > 1) {
    return {
      kind: 'bisect',
      processed,
      position: { offset: failedOffset, attempts: earlier },
      functionError,
      backoffMs: retryBackoffMs(1, facts.backoff),
      window: { untilOffset: last + 1n, batchSize: Math.ceil(offsets.length / 2) },
    };
  }
  const attempts = earlier + 1;
  const failed = {
    processed,
    position: { offset: failedOffset, attempts },
    functionError,
    backoffMs: retryBackoffMs(attempts, facts.backoff),
  };
  if (attempts <= facts.maximumRetryAttempts) return { kind: 'retry', ...failed };
  // Retries exhausted: a reported record goes alone; after a thrown error the whole rest of the batch goes.
  const unprocessed = offsets.filter((offset) => offset >= failedOffset);
  const deadLetterOffsets = functionError === BATCH_ITEM_FAILURE ? unprocessed.slice(0, 1) : unprocessed;
  const resumeAtOffset = (deadLetterOffsets[deadLetterOffsets.length - 1] ?? failedOffset) + 1n;
  return { kind: 'dead-letter', ...failed, deadLetterOffsets, resumeAtOffset, skipped: Number(last + 1n - resumeAtOffset) };
}
