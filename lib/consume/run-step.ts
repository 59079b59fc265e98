/**
 * Applies a run of claimed records of one partition (at most RUN_LIMIT, in offset order):
 * their effects together, with the processor's `processRun` when it has one and else with
 * `process` one record after another, while the run's claims are kept alive. Records whose
 * effect is durable are handed on for completion as soon as that is known; the first record
 * not applied is where the partition stops. A retriable failure is tried again, for the
 * records not applied, while the invocation may wait.
 */
import type { Clock } from '../clock';
import { RunStoppedError } from '../errors';
import { CLAIM_FAILED, CLAIM_LOST, DEADLINE_REACHED, PROCESSOR_FAILED } from './failure-reason';
import type { Claimer } from './claimer';
import type { LeaseKeeper } from './lease-keeper';
import { isTransient, type Patience } from './patience';
import type { ProcessContext, RecordProcessor, RunItem } from './processor';
import type { ClaimPlan, Failure } from './record-plan';

/** A claimed record of a run: its index in the partition, and its plan. */
export interface RunMember {
  index: number;
  plan: ClaimPlan;
}

/** Where a run stopped: the record not applied, and why. */
export interface RunStop {
  index: number;
  failure: Failure;
}

/** Collaborators of {@link applyRun}, the same for every run of a partition. */
export interface RunStepDeps {
  processor: RecordProcessor;
  clock: Clock;
  claimer: Claimer;
  lease: LeaseKeeper;
  patience: Patience;
  invocationId: string;
  /** Past this time (epoch ms) no effect starts; undefined = no deadline. */
  waitDeadlineMs?: number;
  /** Told of records whose effect is durable, in order, before any pause. */
  onApplied(members: readonly RunMember[]): void;
}

function contextOf(plan: ClaimPlan, deps: RunStepDeps): ProcessContext {
  const context: ProcessContext = { messageId: plan.messageId, invocationId: deps.invocationId, earlierAttempt: deps.claimer.earlierAttempt(plan.key) };
  if (plan.callerId !== undefined) context.callerId = plan.callerId;
  return context;
}

/** Whether the deadline of `deps` has passed: no effect starts then. */
function pastDeadline(deps: RunStepDeps): boolean {
  // Stryker disable next-line ConditionalExpression: a comparison with an undefined deadline is false; the check is for the type checker.
  return deps.waitDeadlineMs !== undefined && deps.clock.nowMs() >= deps.waitDeadlineMs;
}

/** How far a run got without an error: the records reached, and why it stopped before the next one, if it did. */
interface Reach {
  reached: number;
  stop?: Failure;
}

/** Renews `plan`'s claim when it has too little lease left for an effect to start; resolves with why it cannot start, if so. */
async function renewIfDue(plan: ClaimPlan, deps: RunStepDeps): Promise<Failure | undefined> {
  if (!deps.lease.renewalDueBeforeEffect(plan.key)) return undefined;
  const result = await deps.claimer.claim(plan);
  if ('error' in result) return { reason: CLAIM_FAILED, error: result.error };
  return result.outcome.claimed ? undefined : { reason: CLAIM_LOST };
}

/**
 * Applies the records of `plans` with the processor, noting each record's attempt as its
 * effect starts. Each context is built just before its effect starts, so that it tells what
 * the claims learnt until then: a record-at-a-time processor's later records are told of an
 * earlier attempt that a renewal during the effects before them found. Those records each
 * start only before the deadline and with enough lease (renewed first when due); a failure
 * says how many went before it.
 */
async function invoke(plans: readonly ClaimPlan[], deps: RunStepDeps): Promise<Reach> {
  const { processor, claimer } = deps;
  if (processor.processRun !== undefined) {
    const items: RunItem[] = plans.map((plan) => ({ record: plan.record, context: contextOf(plan, deps) }));
    claimer.markAttempted(plans.map(({ key }) => key));
    await processor.processRun(items);
    return { reached: items.length };
  }
  for (const [i, plan] of plans.entries()) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the first record's claim was renewed when due just before, so renewing it again is never due.
    const cannotStart = i > 0 ? await renewIfDue(plan, deps) : undefined;
    if (cannotStart !== undefined) return { reached: i, stop: cannotStart };
    // After the renewal, which takes time (the first record's deadline was checked by the caller).
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the caller checked the deadline just before the first record (pinned in run-step.test.ts).
    if (i > 0 && pastDeadline(deps)) return { reached: i, stop: { reason: DEADLINE_REACHED } };
    const context = contextOf(plan, deps);
    claimer.markAttempted([plan.key]);
    try {
      await processor.process(plan.record, context);
    } catch (error) {
      throw new RunStoppedError(i, error);
    }
  }
  return { reached: plans.length };
}

/** How many of `count` records a failed effect applied (a processor's claim past its run, or not a count, is not trusted). */
function appliedBefore(error: unknown, count: number): number {
  // Stryker disable next-line ConditionalExpression: any other error has no integer `applied`, which counts as 0 below.
  if (!(error instanceof RunStoppedError)) return 0;
  return Number.isInteger(error.applied) ? Math.max(0, Math.min(error.applied, count - 1)) : 0;
}

/**
 * Renews, before an attempt, the claims of `members` with too little lease left for an
 * effect to start. Resolves with the members that may start and, when a renewal failed,
 * the stop at the first that may not.
 */
async function renewDue(members: readonly RunMember[], deps: RunStepDeps): Promise<{ members: readonly RunMember[]; stop?: RunStop }> {
  const failures = await Promise.all(members.map(({ plan }) => renewIfDue(plan, deps)));
  const cut = failures.findIndex((failure) => failure !== undefined);
  if (cut === -1) return { members };
  return { members: members.slice(0, cut), stop: { index: (members[cut] as RunMember).index, failure: failures[cut] as Failure } };
}

/**
 * Applies `members` (non-empty, claimed, in offset order). `handBack` runs before each pause.
 * Resolves with the stop, or undefined when every record was applied. Never throws.
 */
export async function applyRun(members: readonly RunMember[], deps: RunStepDeps, handBack: () => Promise<void>): Promise<RunStop | undefined> {
  let rest = members;
  let laterStop: RunStop | undefined;
  for (;;) {
    const first = rest[0];
    // Stryker disable next-line ConditionalExpression: never empty here: the caller passes a non-empty run, and a retry keeps the failed record.
    if (first === undefined) return laterStop;
    // Past the deadline the time left is for completions and the answer: no new effects.
    if (pastDeadline(deps)) return { index: first.index, failure: { reason: DEADLINE_REACHED } };
    // No effect starts on a claim with little lease left (after a pause, or issued long ago).
    const renewed = await renewDue(rest, deps);
    if (renewed.stop !== undefined) laterStop = renewed.stop;
    rest = renewed.members;
    if (rest.length === 0) return laterStop;
    // The renewals take time (a store retrying for seconds): no effect starts past the deadline after them either.
    if (pastDeadline(deps)) return { index: (rest[0] as RunMember).index, failure: { reason: DEADLINE_REACHED } };
    const plans = rest.map(({ plan }) => plan);
    // Stryker disable next-line ObjectLiteral: read only when the effect did not fail, and then invoke has set it.
    let reach: Reach = { reached: rest.length };
    const outcome = await deps.lease.runEffect(
      plans.map(({ key, hash }) => ({ key, hash })),
      async () => {
        reach = await invoke(plans, deps);
      },
    );
    const done = outcome.failed ? appliedBefore(outcome.error, rest.length) : reach.reached;
    const firstLost = rest.findIndex(({ plan }) => outcome.lost.has(plan.key));
    const applied = firstLost === -1 ? done : Math.min(done, firstLost);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only; telling of no records does nothing.
    if (applied > 0) deps.onApplied(rest.slice(0, applied));
    // Its effect ran, but another invocation holds the key now and will complete it.
    if (firstLost !== -1 && firstLost < done) return { index: (rest[firstLost] as RunMember).index, failure: { reason: CLAIM_LOST } };
    if (!outcome.failed) {
      deps.patience.reset();
      if (reach.stop !== undefined) return { index: (rest[done] as RunMember).index, failure: reach.stop };
      return laterStop;
    }
    const error = outcome.error instanceof RunStoppedError ? outcome.error.cause : outcome.error;
    const stop: RunStop = { index: (rest[done] as RunMember).index, failure: { reason: PROCESSOR_FAILED, error } };
    if (!isTransient(error)) return stop;
    await handBack();
    if (!(await deps.patience.pause())) return stop;
    rest = rest.slice(done);
  }
}
