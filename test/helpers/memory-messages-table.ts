/**
 * The default processor's sink in a Map, as lib/dynamo/messages-table.ts writes it: `putAll`
 * overwrites, `putOnce` writes only what is absent. It counts every write that reached an
 * item, so a test can tell a message written twice (an overwrite is a second effect) from one
 * written once.
 */
import type { MessageItem, MessagesTable, PutOnceOutcome } from '../../lib/dynamo/messages-table';

/** A {@link MessagesTable} in memory that counts the writes of each message. */
export class MemoryMessagesTable implements MessagesTable {
  readonly items = new Map<string, MessageItem>();
  /** Writes that reached an item, by message id: more than one is a message written twice. */
  readonly writes = new Map<string, number>();

  async putOnce(item: MessageItem): Promise<PutOnceOutcome> {
    if (this.items.has(item.messageId)) return 'already-written';
    this.write(item);
    return 'written';
  }

  async putAll(items: readonly MessageItem[]): Promise<void> {
    for (const item of items) this.write(item);
  }

  /** The stored values by message id, for comparing with values written by hand. */
  values(): Record<string, unknown> {
    return Object.fromEntries([...this.items].map(([messageId, item]) => [messageId, item.value]));
  }

  private write(item: MessageItem): void {
    this.items.set(item.messageId, item);
    this.writes.set(item.messageId, (this.writes.get(item.messageId) ?? 0) + 1);
  }
}
