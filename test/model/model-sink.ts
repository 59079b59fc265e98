/**
 * The messages table of the model tests: behaves as lib/dynamo/messages-table.ts does
 * (`putAll` overwrites, `putOnce` writes only an absent message and otherwise reports
 * 'already-written') and counts every write per message, an overwrite included, so that a
 * message written twice shows.
 *
 * It also tells which writes outlasted their claim: those applied after the lease the
 * writer's claim had when its processor was called for the record (the effect started). The
 * protocol does not promise a single write then (docs/consume.md: keep the lease longer than
 * the longest effect), so the invariants leave such messages out of the write count. An
 * effect that started without a live claim has no such excuse.
 */
import type { MessageItem, MessagesTable, PutOnceOutcome } from '../../lib/dynamo/messages-table';
import type { Actor, Switchboard } from './switchboard';

/** Kind of request a fault plan names for the messages table. */
export const SINK_WRITE = 'write';

/** Until when (epoch ms) `writer` holds a live claim on the message now; undefined when it does not. */
export type LeaseOf = (writer: Actor, message: Pick<MessageItem, 'messageId' | 'topic' | 'partition'>) => Promise<number | undefined>;

/** One write that reached the table. */
export interface SinkWrite {
  messageId: string;
  /** The value as JSON text. */
  value: string;
  writer: string;
  /** Applied after the lease the writer's live claim had when its effect started. */
  late: boolean;
}

/** A partition worker's effect for a message: each worker of an invocation holds claims of its own. */
function effectKey(writer: Actor, { messageId, partition }: Pick<MessageItem, 'messageId' | 'partition'>): string {
  return `${writer.id}/${partition} ${messageId}`;
}

/** The table's contents and its history of writes. */
export class ModelSink {
  readonly items = new Map<string, MessageItem>();
  readonly writes: SinkWrite[] = [];
  /** Per partition worker and message, the lease end of the writer's claim when its effect started (undefined: no live claim). */
  private readonly effectLeases = new Map<string, number | undefined>();

  constructor(
    private readonly board: Switchboard,
    private readonly leaseOf: LeaseOf,
  ) {}

  /** Each message's stored value, as JSON text. */
  values(): Map<string, string> {
    return new Map([...this.items].map(([id, item]) => [id, JSON.stringify(item.value)]));
  }

  /**
   * Notes that `writer`'s effects for `messages` start now (its processor was called), with
   * the lease of its claim on each; the writes that follow are measured against it.
   */
  async startEffects(writer: Actor, messages: readonly Pick<MessageItem, 'messageId' | 'topic' | 'partition'>[]): Promise<void> {
    const leases = await this.board.external(Promise.all(messages.map((message) => this.leaseOf(writer, message))));
    for (const [i, message] of messages.entries()) this.effectLeases.set(effectKey(writer, message), leases[i]);
  }

  /** The table as `writer` sees it: its requests pass through the switchboard. */
  viewOf(writer: Actor): MessagesTable {
    return {
      putAll: (items) =>
        this.board.call(writer, SINK_WRITE, items.map(({ messageId }) => messageId).join(','), async () => {
          for (const item of items) this.write(writer, item);
        }),
      putOnce: (item) =>
        this.board.call(writer, SINK_WRITE, `${item.messageId} (if absent)`, async (): Promise<PutOnceOutcome> => {
          if (this.items.has(item.messageId)) return 'already-written';
          this.write(writer, item);
          return 'written';
        }),
    };
  }

  private write(writer: Actor, item: MessageItem): void {
    const leaseAtStartMs = this.effectLeases.get(effectKey(writer, item));
    const late = leaseAtStartMs !== undefined && this.board.clock.nowMs() > leaseAtStartMs;
    this.items.set(item.messageId, item);
    this.writes.push({ messageId: item.messageId, value: JSON.stringify(item.value), writer: writer.id, late });
  }
}
