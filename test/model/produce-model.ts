/**
 * The produce Idempotency-Key, tested by search: fast-check generates histories of requests
 * (two callers, two keys, two bodies) with fault plans, releases of held requests, crashes
 * and clock advances, runs each against the real produce runtime ({@link ProduceWorld}),
 * drains it, and checks ./produce-invariants. A failing history is shrunk and printed with
 * its trace.
 */
import fc from 'fast-check';
import { StoreOp } from './faulty-store';
import { planArbitrary, throwIfBroken, weighted, type StoreUnderTest } from './history';
import { CALLERS, PRODUCE_CONFIG, PRODUCER_SEND, ProduceWorld, type ProduceRequestSpec } from './produce-world';
import { faultText } from './switchboard';

type ProduceCommand = fc.AsyncCommand<object, ProduceWorld>;

/** Sends one request. */
class Request implements ProduceCommand {
  constructor(readonly spec: ProduceRequestSpec) {}
  check = (): boolean => true;
  run = (_model: object, world: ProduceWorld): Promise<void> => world.request(this.spec);
  toString(): string {
    const { caller, idempotencyKey, value, plan } = this.spec;
    return `request(${[`${caller}/${idempotencyKey}`, `v=${value}`, ...plan.map(faultText)].join(', ')})`;
  }
}

/** Lets one held request go on. */
class Release implements ProduceCommand {
  constructor(readonly index: number) {}
  check = (): boolean => true;
  run = async (_model: object, world: ProduceWorld): Promise<void> => void (await world.board.release(this.index));
  toString = (): string => `release(${this.index})`;
}

/** Crashes one request in flight. */
class Crash implements ProduceCommand {
  constructor(readonly index: number) {}
  check = (): boolean => true;
  run = async (_model: object, world: ProduceWorld): Promise<void> => world.crash(this.index);
  toString = (): string => `crash(${this.index})`;
}

/** Moves the clock forward. */
class Advance implements ProduceCommand {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  run = (_model: object, world: ProduceWorld): Promise<void> => world.board.advance(this.ms);
  toString = (): string => `advance(${this.ms})`;
}

const PRODUCE_OPS: [string, number][] = [
  [StoreOp.Claim, 3],
  [StoreOp.Complete, 3],
  [PRODUCER_SEND, 2],
  [StoreOp.Release, 1],
  [StoreOp.Read, 1],
];

const { leaseMs } = PRODUCE_CONFIG.idempotency;

const requestArbitrary: fc.Arbitrary<ProduceCommand> = fc
  .record({
    caller: fc.constantFrom(...CALLERS),
    idempotencyKey: fc.constantFrom('k1', 'k2'),
    value: fc.constantFrom(1, 2),
    plan: planArbitrary(PRODUCE_OPS),
  })
  .map((spec) => new Request(spec));

/** The commands of a history, requests the most frequent. */
export const produceCommandsArbitrary = fc.commands(
  [
    fc.oneof(
      { arbitrary: requestArbitrary, weight: 4 },
      { arbitrary: fc.nat(3).map((index): ProduceCommand => new Release(index)), weight: 2 },
      { arbitrary: fc.nat(3).map((index): ProduceCommand => new Crash(index)), weight: 1 },
      { arbitrary: weighted([1_000, 1], [leaseMs / 2 + 1, 1], [leaseMs + 1, 2]).map((ms): ProduceCommand => new Advance(ms)), weight: 2 },
    ),
  ],
  { maxCommands: 8 },
);

/** Runs one history and throws, with its trace, when it broke a promise. */
export async function runProduceHistory(commands: Iterable<ProduceCommand>, underTest: StoreUnderTest): Promise<void> {
  const world = new ProduceWorld(underTest.store, underTest.scope);
  await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);
  await world.drain();
  throwIfBroken(world.violations(), world.board.trace);
}

/** The property: every history keeps the invariants (see {@link consumeProtocolProperty} for `newStore`). */
export function produceIdempotencyProperty(newStore: (returnsExisting: boolean) => Promise<StoreUnderTest>) {
  return fc.asyncProperty(fc.boolean(), produceCommandsArbitrary, async (returnsExisting, commands) => {
    await runProduceHistory(commands, await newStore(returnsExisting));
  });
}
