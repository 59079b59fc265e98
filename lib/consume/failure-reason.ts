/**
 * Why a consumed record fails: the reason logged with it (and, locally, written into its
 * dead-lettered copy), and the small fixed class each reason belongs to. The class is the
 * `reason` dimension of the `RecordsFailedByReason` metric; the reasons themselves stay in the
 * logs, where a new wording costs nothing.
 */

/** Why a record fails whose key another invocation still holds. */
export const HELD_BY_ANOTHER = 'held by another invocation';

/** Why a record fails when its claim was taken over while, or after, its effect ran. */
export const CLAIM_LOST = 'claim lost: its lease ran out and another invocation took the message over';

/** Why a record fails whose message id was already applied with another payload. */
export const MESSAGE_ID_REUSED = 'message id reused with a different payload';

/** Why a record fails that the event did not describe well enough to be identified. */
export const MALFORMED_RECORD = 'malformed record';

/** The start of the reason of a record whose key or value does not decode with its schema; the rest names the side, format and schema id. */
export const UNDECODABLE_RECORD = 'not decodable with its schema';

/** Why a record fails whose schema could not be fetched while the invocation could wait. */
export const SCHEMA_REGISTRY_UNAVAILABLE = 'schema registry unavailable';

/** Why a record fails whose claim could not be written. */
export const CLAIM_FAILED = 'claim failed';

/** Why a record fails whose effect (the processor) threw. */
export const PROCESSOR_FAILED = 'processor failed';

/** Why a record fails whose completion could not be written. */
export const COMPLETION_FAILED = 'completion failed';

/** Why a record fails that was not started because the invocation was about to time out. */
export const DEADLINE_REACHED = 'invocation deadline reached';

/** Why every record fails when the batch's idempotency keys could not be read. */
export const STORE_UNREADABLE = 'idempotency store unreadable';

/** The classes of failure reasons: few, so that each can be a metric dimension value. */
export const FailureClass = {
  Malformed: 'malformed',
  PayloadConflict: 'payload-conflict',
  Contention: 'contention',
  StoreError: 'store-error',
  ProcessorError: 'processor-error',
  Deadline: 'deadline',
  /** Records after a partition's failed record: not attempted, reported so Lambda retries them. */
  AfterEarlierFailure: 'after-earlier-failure',
  Other: 'other',
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

const CLASS_OF_REASON: Readonly<Record<string, FailureClass>> = {
  [MALFORMED_RECORD]: FailureClass.Malformed,
  [MESSAGE_ID_REUSED]: FailureClass.PayloadConflict,
  [HELD_BY_ANOTHER]: FailureClass.Contention,
  [CLAIM_LOST]: FailureClass.Contention,
  [CLAIM_FAILED]: FailureClass.StoreError,
  [COMPLETION_FAILED]: FailureClass.StoreError,
  [STORE_UNREADABLE]: FailureClass.StoreError,
  [PROCESSOR_FAILED]: FailureClass.ProcessorError,
  [DEADLINE_REACHED]: FailureClass.Deadline,
  [SCHEMA_REGISTRY_UNAVAILABLE]: FailureClass.StoreError,
};

/** The class of a failure reason; {@link FailureClass.Other} for one this table does not know. */
export function failureClassOf(reason: string): FailureClass {
  if (reason.startsWith(UNDECODABLE_RECORD)) return FailureClass.Malformed;
  return CLASS_OF_REASON[reason] ?? FailureClass.Other;
}
