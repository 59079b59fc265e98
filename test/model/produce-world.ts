/**
 * The system under test of the produce model: for each request the produce runtime
 * ({@link createProduceRuntime}) as Lambda runs it, over the shared idempotency store and a
 * fake Kafka producer, both reached through the {@link Switchboard} with the request's fault
 * plan. Requests may overlap, be held, crash (never answer, their claim left until its lease
 * ends), and the clock moves only when the history says so.
 */
import { loadConfig } from '../../lib/config';
import type { ConsumeStore } from '../../lib/consume/partition-worker';
import { KafkaUnavailableError } from '../../lib/errors';
import type { RecordProducer } from '../../lib/kafka/producer';
import { silentLogger } from '../../lib/logger';
import { createProduceRuntime } from '../../lib/produce';
import { asCaller, jwtAuthorizer, produceEvent } from '../helpers/http-events';
import { FaultyStore } from './faulty-store';
import { produceViolations, type ProduceAnswer, type ProducedSend } from './produce-invariants';
import { type Actor, type PlannedFault, Switchboard } from './switchboard';

/** The settings of the model's produce function; the lease is the default one (30 s). */
export const PRODUCE_CONFIG = loadConfig({
  KAFKA_BROKERS: '127.0.0.1:1',
  ALLOWED_TOPICS: '*',
  AWS_REGION: 'us-east-1',
  PRODUCE_TIMEOUT_MS: '10000',
  IDEMPOTENCY_LEASE_MS: '30000',
});

/** The produce function's timeout (serverless.yml `produceFunctionTimeoutSec`), shorter than the lease. */
export const PRODUCE_FUNCTION_TIMEOUT_MS = 15_000;

/** Kind of request a fault plan names for the producer. */
export const PRODUCER_SEND = 'send';

/** Who sends a request: the anonymous caller or a JWT-authenticated one. */
export const CALLERS = ['anonymous', 'alice'] as const;
export type CallerName = (typeof CALLERS)[number];

/** One produce request of a history. */
export interface ProduceRequestSpec {
  caller: CallerName;
  idempotencyKey: string;
  /** The value of its one record. */
  value: number;
  plan: readonly PlannedFault[];
}

/** See the module comment. */
export class ProduceWorld {
  readonly board = new Switchboard();
  readonly answers: ProduceAnswer[] = [];
  readonly sends: ProducedSend[] = [];
  private readonly requests: Actor[] = [];
  private nextOffset = 0;

  /**
   * @param store - the shared idempotency store (in memory, or DynamoDB on dynalite).
   * @param topic - the topic of every request; it scopes the keys (unique per history on a shared store).
   */
  constructor(
    private readonly store: ConsumeStore,
    private readonly topic = 'orders',
  ) {}

  /** Sends a request, which runs until it blocks or is answered. */
  async request(spec: ProduceRequestSpec): Promise<void> {
    const actor = this.board.actor(`req${this.requests.length + 1}`, spec.plan, PRODUCE_FUNCTION_TIMEOUT_MS);
    this.requests.push(actor);
    const key = `${spec.caller}/${spec.idempotencyKey}`;
    const runtime = createProduceRuntime(PRODUCE_CONFIG, {
      logger: silentLogger,
      clock: this.board.clock,
      producer: this.producerOf(actor, key, spec.value),
      store: new FaultyStore(this.store, this.board, actor, () => key),
    });
    const event = produceEvent(this.topic, { records: [{ value: { v: spec.value } }] }, { headers: { 'Idempotency-Key': spec.idempotencyKey } });
    this.board.note(`${actor.id} sent ${key} v=${spec.value}`);
    runtime.handler(spec.caller === 'anonymous' ? event : asCaller(event, jwtAuthorizer({ iss: 'https://issuer.example', sub: spec.caller }))).then(
      (result) => {
        actor.finished = true;
        const replayed = result.headers?.['Idempotent-Replayed'] === 'true';
        const answer: ProduceAnswer = { request: actor.id, key, value: spec.value, status: result.statusCode ?? 0, replayed };
        if (result.statusCode === 200) answer.offset = (JSON.parse(result.body ?? '{}') as { offsets: { offset: number }[] }).offsets[0]?.offset as number;
        this.answers.push(answer);
        this.board.note(
          `${actor.id} answered ${answer.status}${replayed ? ' (replayed)' : ''}${answer.offset === undefined ? '' : ` offset ${answer.offset}`}`,
        );
      },
      (error: unknown) => {
        actor.finished = true;
        this.board.note(`${actor.id} threw ${String(error)}`);
      },
    );
    await this.board.settle();
  }

  /** Requests sent, not answered and not crashed. */
  live(): Actor[] {
    return this.requests.filter(({ finished, crashed }) => !finished && !crashed);
  }

  /** Crashes the `index`-th live request (modulo their number). */
  crash(index: number): void {
    const live = this.live();
    if (live.length > 0) this.board.crash(live[index % live.length] as Actor);
  }

  /** Heals the faults and lets every held request answer. */
  async drain(): Promise<void> {
    this.board.heal();
    while (await this.board.release(0));
  }

  /** The promises the history broke (call after {@link drain}). */
  violations(): string[] {
    return produceViolations(
      this.answers,
      this.sends,
      this.live().map(({ id }) => `${id} never answered`),
    );
  }

  /** A producer that acknowledges every record at the next offset of one partition, through the switchboard. */
  private producerOf(actor: Actor, key: string, value: number): RecordProducer {
    return {
      partitionCount: async () => 1,
      send: (_topic, records) =>
        this.board.call(
          actor,
          PRODUCER_SEND,
          key,
          async () => {
            const offset = this.nextOffset;
            this.nextOffset += records.length;
            this.sends.push({ request: actor.id, key, value, offset });
            return { partitions: records.map(() => 0), acks: [{ partition: 0, baseOffset: BigInt(offset) }] };
          },
          (what) => new KafkaUnavailableError('the broker is unavailable', { cause: new Error(what) }),
        ),
      close: async () => {},
    };
  }
}
