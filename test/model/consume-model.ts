/**
 * The consume claim protocol, tested by search: fast-check generates histories (a small
 * Kafka log with reused message ids and payloads, then deliveries with fault plans, releases
 * of held requests, crashes, clock advances and renewal ticks), runs each against the real
 * batch handler ({@link ConsumeWorld}), drains it, and checks the invariants of
 * ./consume-invariants against the plain model. A failing history is shrunk to a minimal one
 * and printed with the trace of its requests.
 */
import fc from 'fast-check';
import { StoreOp } from './faulty-store';
import { ConsumeWorld, ProcessorKind, type ConsumeSetup, type DeliveryOptions } from './consume-world';
import type { EventSourceModel, LogRecord } from './event-source-model';
import { SINK_WRITE } from './model-sink';
import { planArbitrary, throwIfBroken, weighted, type ModelStats, type StoreUnderTest } from './history';
import { faultText } from './switchboard';

type ConsumeCommand = fc.AsyncCommand<EventSourceModel, ConsumeWorld>;

/** Delivers the pending records of some partitions to a new invocation. */
class Deliver implements ConsumeCommand {
  constructor(
    readonly partitions: readonly number[],
    readonly options: DeliveryOptions,
  ) {}
  check = (): boolean => true;
  run = (_model: EventSourceModel, world: ConsumeWorld): Promise<void> => world.deliver(this.partitions, this.options);
  toString(): string {
    const { waits, fromStart, plan } = this.options;
    const parts = [this.partitions.map((p) => `p${p}`).join('+'), ...(waits ? ['waits'] : []), ...(fromStart ? ['from start'] : []), ...plan.map(faultText)];
    return `deliver(${parts.join(', ')})`;
  }
}

/** Lets one held request go on. */
class Release implements ConsumeCommand {
  constructor(readonly index: number) {}
  check = (): boolean => true;
  run = async (_model: EventSourceModel, world: ConsumeWorld): Promise<void> => void (await world.board.release(this.index));
  toString = (): string => `release(${this.index})`;
}

/** Crashes one running invocation. */
class Crash implements ConsumeCommand {
  constructor(readonly index: number) {}
  check = (): boolean => true;
  run = async (_model: EventSourceModel, world: ConsumeWorld): Promise<void> => world.crash(this.index);
  toString = (): string => `crash(${this.index})`;
}

/** Moves the clock forward, firing the pauses that fall due. */
class Advance implements ConsumeCommand {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  run = (_model: EventSourceModel, world: ConsumeWorld): Promise<void> => world.board.advance(this.ms);
  toString = (): string => `advance(${this.ms})`;
}

/** Runs the claim renewals of one running invocation once. */
class Tick implements ConsumeCommand {
  constructor(readonly index: number) {}
  check = (): boolean => true;
  run = (_model: EventSourceModel, world: ConsumeWorld): Promise<void> => world.tick(this.index);
  toString = (): string => `tick(${this.index})`;
}

const MESSAGE_IDS = ['a', 'b'] as const;
const VALUES = [1, 2] as const;

/** A log of two partitions of one to three records, message ids and values drawn from two each, so that ids are often reused. */
export const logArbitrary: fc.Arbitrary<LogRecord[][]> = fc
  .array(fc.array(fc.record({ messageId: fc.constantFrom(...MESSAGE_IDS), value: fc.constantFrom(...VALUES) }), { minLength: 1, maxLength: 3 }), {
    minLength: 2,
    maxLength: 2,
  })
  .map((partitions) => partitions.map((records, partition) => records.map((record, offset) => ({ partition, offset, ...record }))));

/** The setup of a history: its log and its processor. */
export const consumeSetupArbitrary: fc.Arbitrary<ConsumeSetup> = fc.record({
  log: logArbitrary,
  processor: fc.constantFrom(ProcessorKind.Default, ProcessorKind.RecordAtATime),
});

// Reads and releases have the fewest ways to go wrong, so they are faulted less often.
const CONSUME_OPS: [string, number][] = [
  [StoreOp.Claim, 3],
  [StoreOp.Complete, 3],
  [SINK_WRITE, 3],
  [StoreOp.Release, 1],
  [StoreOp.Read, 1],
];

/** Clock steps: a pause, a long pause, past half a lease, past a whole lease (the likeliest, as leases running out are what the search is after). */
export const advanceArbitrary: fc.Arbitrary<number> = weighted([100, 1], [2_000, 1], [15_001, 2], [30_001, 3]);

const deliverArbitrary: fc.Arbitrary<ConsumeCommand> = fc
  .record({
    partitions: weighted<readonly number[]>([[0], 2], [[1], 2], [[0, 1], 1]),
    waits: fc.boolean(),
    fromStart: weighted([false, 4], [true, 1]),
    plan: planArbitrary(CONSUME_OPS),
  })
  .map(({ partitions, ...options }) => new Deliver(partitions, options));

/** The commands of a history, deliveries the most frequent. */
export const consumeCommandsArbitrary = fc.commands(
  [
    fc.oneof(
      { arbitrary: deliverArbitrary, weight: 4 },
      { arbitrary: fc.nat(3).map((index): ConsumeCommand => new Release(index)), weight: 3 },
      { arbitrary: fc.nat(3).map((index): ConsumeCommand => new Crash(index)), weight: 1 },
      { arbitrary: advanceArbitrary.map((ms): ConsumeCommand => new Advance(ms)), weight: 2 },
      { arbitrary: fc.nat(3).map((index): ConsumeCommand => new Tick(index)), weight: 1 },
    ),
  ],
  { maxCommands: 10 },
);

/** Runs one history and throws, with its trace, when it broke a promise. */
export async function runConsumeHistory(setup: ConsumeSetup, commands: Iterable<ConsumeCommand>, underTest: StoreUnderTest, stats?: ModelStats): Promise<void> {
  const world = new ConsumeWorld(setup, underTest.store, underTest.scope);
  await fc.asyncModelRun(() => ({ model: world.esm, real: world }), commands);
  await world.drain();
  if (stats !== undefined) stats.lateWrites += world.sink.writes.filter(({ late }) => late).length;
  throwIfBroken(world.violations(), world.board.trace);
}

/**
 * The property: every history keeps the invariants. `newStore` gives each history its store
 * (`returnsExisting`: whether a refused claim returns the item, as DynamoDB does and dynalite
 * does not); `stats` counts across every history run, shrinking included.
 */
export function consumeProtocolProperty(newStore: (returnsExisting: boolean) => Promise<StoreUnderTest>, stats?: ModelStats) {
  return fc.asyncProperty(consumeSetupArbitrary, fc.boolean(), consumeCommandsArbitrary, async (setup, returnsExisting, commands) => {
    await runConsumeHistory(setup, commands, await newStore(returnsExisting), stats);
  });
}
