/**
 * The model tests' control over time and over every request the system under test sends.
 *
 * Each invocation (or produce request) is an {@link Actor} with a fault plan. Every request it
 * sends to a fake (the idempotency store, the messages table, the Kafka producer) passes
 * through {@link Switchboard.call}, which may, as planned: refuse it before it takes effect,
 * apply it and lose the answer, or hold it before or after it takes effect until the history
 * releases it. A held actor that the history crashes never gets an answer, so its remaining
 * steps never run. Time is a fake clock that moves only when the history says so: sleeps are
 * timers fired in due order as it advances, and claim renewals tick only when the history
 * ticks them (so a history that does not tick them models an event loop that stalled). An
 * actor still running when its function's timeout passes is stopped, as Lambda stops it.
 *
 * Everything the code under test awaits is a microtask or one of these gates, so after each
 * step {@link Switchboard.settle} lets it run until every actor is blocked again.
 */
import type { Every } from '../../lib/consume/lease';
import type { Sleep } from '../../lib/consume/patience';
import { StoreUnavailableError } from '../../lib/errors';
import { FakeClock } from '../helpers/fake-clock';

/** What a planned fault does to one request. */
export const Fault = {
  /** Fails before taking effect, as an unreachable store. */
  Refuse: 'refuse',
  /** Takes effect, then fails: the answer was lost after the store committed. */
  Lose: 'lose',
  /** Waits, before taking effect, until the history releases it (or crashes its actor). */
  HoldBefore: 'hold-before',
  /** Takes effect, then waits to answer until the history releases it (or crashes its actor). */
  HoldAfter: 'hold-after',
} as const;
export type Fault = (typeof Fault)[keyof typeof Fault];

/** A fault for the `nth` request (1-based) of kind `op` an actor sends. */
export interface PlannedFault {
  op: string;
  nth: number;
  fault: Fault;
}

/** `claim#2:lose`, as counterexamples print plans. */
export function faultText({ op, nth, fault }: PlannedFault): string {
  return `${op}#${nth}:${fault}`;
}

/** One invocation or request of a history, with its fault plan. */
export class Actor {
  crashed = false;
  /** It answered: nothing of it runs any more. */
  finished = false;
  /** Claim renewals scheduled by the actor's lease keepers, ticked by the history. */
  readonly ticks = new Set<() => void>();
  private readonly sent = new Map<string, number>();

  /**
   * @param killAtMs - when its Lambda function times out (epoch ms): the platform stops it
   *   then, so it never acts later.
   */
  constructor(
    readonly id: string,
    readonly plan: readonly PlannedFault[],
    readonly killAtMs: number,
  ) {}

  /** Counts a request of kind `op`: its number, and the fault planned for it. */
  nextRequest(op: string): { nth: number; fault: Fault | undefined } {
    const nth = (this.sent.get(op) ?? 0) + 1;
    this.sent.set(op, nth);
    return { nth, fault: this.plan.find((planned) => planned.op === op && planned.nth === nth)?.fault };
  }
}

interface Hold {
  actor: Actor;
  label: string;
  resume: () => void;
}

interface Timer {
  actor: Actor;
  dueMs: number;
  seq: number;
  fire: () => void;
}

/** A promise that never settles: what a crashed actor waits on. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** The error a refused or lost store request throws. */
export function storeUnreachable(what: string): Error {
  return new StoreUnavailableError('the idempotency store is unavailable; retry later', { cause: new Error(what) });
}

/** See the module comment. */
export class Switchboard {
  readonly clock = new FakeClock();
  readonly startMs = this.clock.nowMs();
  /** What happened, one line per request, answer and step, for counterexamples. */
  readonly trace: string[] = [];
  private readonly actors: Actor[] = [];
  private holds: Hold[] = [];
  private timers: Timer[] = [];
  private inFlight = 0;
  private timerSeq = 0;
  private healed = false;

  /** Milliseconds since the history started, for the trace. */
  elapsedMs(): number {
    return this.clock.nowMs() - this.startMs;
  }

  /** Adds a line to the trace, stamped with the time since the history started. */
  note(line: string): void {
    this.trace.push(`t=${this.elapsedMs()} ${line}`);
  }

  /** A new actor with fault plan `plan`, stopped `timeoutMs` from now. */
  actor(id: string, plan: readonly PlannedFault[], timeoutMs: number): Actor {
    const actor = new Actor(id, plan, this.clock.nowMs() + timeoutMs);
    this.actors.push(actor);
    return actor;
  }

  /**
   * Sends one request of kind `op` for `actor`: `apply` is the request taking effect.
   * `failure` builds the error of a refused or lost request.
   */
  async call<T>(actor: Actor, op: string, label: string, apply: () => Promise<T>, failure: (what: string) => Error = storeUnreachable): Promise<T> {
    if (actor.crashed) return never();
    const { nth, fault } = actor.nextRequest(op);
    const planned = this.healed ? undefined : fault;
    const name = `${actor.id} ${op}#${nth} ${label}`;
    if (planned === Fault.HoldBefore) await this.hold(actor, `${name} (not yet applied)`);
    if (planned === Fault.Refuse) {
      this.note(`${name}: refused`);
      throw failure('request refused before it took effect');
    }
    const result = await this.external(apply());
    if (planned === Fault.Lose) {
      this.note(`${name}: applied, answer lost`);
      throw failure('answer lost after the request took effect');
    }
    if (planned === Fault.HoldAfter) await this.hold(actor, `${name} (applied)`);
    this.note(`${name}: ${answerText(result)}`);
    return result;
  }

  /** The actor's {@link Sleep}: a timer the clock fires as the history advances it. */
  sleepOf(actor: Actor): Sleep {
    return (ms) => {
      if (actor.crashed) return never();
      return new Promise<void>((resolve) => {
        this.timers.push({ actor, dueMs: this.clock.nowMs() + ms, seq: this.timerSeq++, fire: resolve });
      });
    };
  }

  /** The actor's {@link Every}: renewals run only when the history ticks the actor. */
  everyOf(actor: Actor): Every {
    return (_everyMs, tick) => {
      actor.ticks.add(tick);
      return () => actor.ticks.delete(tick);
    };
  }

  /** Releases the `index`-th held request (modulo the number held); false when none is held. */
  async release(index: number): Promise<boolean> {
    if (this.holds.length === 0) return false;
    const [hold] = this.holds.splice(index % this.holds.length, 1) as [Hold];
    this.note(`release ${hold.label}`);
    hold.resume();
    await this.settle();
    return true;
  }

  /** Runs the actor's claim renewals once. */
  async tick(actor: Actor): Promise<void> {
    if (actor.crashed) return;
    this.note(`tick renewals of ${actor.id}`);
    for (const tick of [...actor.ticks]) tick();
    await this.settle();
  }

  /** The actor stops for good: its held requests never answer, its timers never fire. */
  crash(actor: Actor, why = 'crash'): void {
    actor.crashed = true;
    actor.ticks.clear();
    this.holds = this.holds.filter((hold) => hold.actor !== actor);
    this.timers = this.timers.filter((timer) => timer.actor !== actor);
    this.note(`${why} ${actor.id}`);
  }

  /** Moves the clock `ms` forward, firing the timers due on the way in order. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.clock.nowMs() + ms;
    this.note(`advance ${ms} ms`);
    while (await this.fireNextTimer(targetMs));
    this.moveClockTo(targetMs);
  }

  /** Fires the earliest timer (moving the clock to it) when one is due by `limitMs`; false when none. */
  async fireNextTimer(limitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    let next: Timer | undefined;
    for (const timer of this.timers) {
      if (timer.dueMs <= limitMs && (next === undefined || timer.dueMs < next.dueMs || (timer.dueMs === next.dueMs && timer.seq < next.seq))) next = timer;
    }
    if (next === undefined) return false;
    this.timers.splice(this.timers.indexOf(next), 1);
    this.moveClockTo(next.dueMs);
    if (next.actor.crashed) return true;
    next.fire();
    await this.settle();
    return true;
  }

  /** From now on no fault is injected and nothing is held: the faults have healed. */
  heal(): void {
    this.healed = true;
    this.note('faults healed');
  }

  /**
   * Lets the code under test run until every actor waits on a held request, a timer, a
   * renewal tick, or has finished. Requests to a real store (dynalite) are waited for.
   */
  async settle(): Promise<void> {
    do {
      await new Promise<void>((resolve) => setImmediate(resolve));
    } while (this.inFlight > 0);
  }

  /** Moves the clock to `ms` (never back), stopping the actors whose function timed out before. */
  private moveClockTo(ms: number): void {
    this.clock.nowValueMs = Math.max(this.clock.nowValueMs, ms);
    for (const actor of this.actors) {
      if (!actor.crashed && !actor.finished && actor.killAtMs < this.clock.nowValueMs) this.crash(actor, 'function timeout stops');
    }
  }

  private hold(actor: Actor, label: string): Promise<void> {
    this.note(`hold ${label}`);
    return new Promise<void>((resume) => this.holds.push({ actor, label, resume }));
  }

  /** Waits for a request outside the code under test (a fake's own read), which {@link settle} waits for too. */
  async external<T>(request: Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await request;
    } finally {
      this.inFlight -= 1;
    }
  }
}

/** A short account of an answer for the trace. */
function answerText(result: unknown): string {
  if (result === undefined) return 'ok';
  if (typeof result === 'string') return result;
  if (result instanceof Map) return `found ${result.size}`;
  if (Array.isArray(result)) return result.length === 0 ? 'ok' : `refused ${result.length}`;
  if (typeof result === 'object' && result !== null && 'claimed' in result) {
    const outcome = result as { claimed: boolean; previous?: { owner: string; status: string }; existing?: { status: string } };
    if (outcome.claimed) return outcome.previous === undefined ? 'claimed' : `claimed over ${outcome.previous.status} of ${shortOwner(outcome.previous.owner)}`;
    return outcome.existing === undefined ? 'not claimed' : `not claimed (${outcome.existing.status})`;
  }
  return 'ok';
}

/** `inv2` of an owner `inv2:<uuid>/orders-0`, `inv2/orders-0` for short. */
export function shortOwner(owner: string): string {
  return owner.replace(/:[0-9a-f-]{36}/, '');
}
