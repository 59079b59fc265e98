import { describe, expect, it } from 'vitest';
import { noIdentityGarbage } from '../../../chaos/lib/garbage-api-events';
import { generateGarbageEvents, VICTIM_DIGEST, type GarbageEvent } from '../../../chaos/lib/garbage-events';
import { createPrng } from '../../../chaos/lib/prng';
import { callerOf, type AuthorizerContext } from '../../../lib/produce/caller';

describe('noIdentityGarbage', () => {
  it('makes valid requests whose authorizer context names no caller, each allowed only a 401', () => {
    const events = noIdentityGarbage(createPrng(1), 'events', 30);
    expect(new Set(events.map((garbage) => garbage.kind)).size).toBe(11);
    for (const garbage of events) {
      expect(garbage.allowedStatuses).toEqual([401]);
      const context = garbage.event.requestContext as AuthorizerContext;
      expect(callerOf(context, false), garbage.kind).toBeUndefined();
      expect(callerOf(context, true), garbage.kind).toBeUndefined();
    }
  });
});

describe('generateGarbageEvents with forged caller headers', () => {
  it("puts a forged caller header on one record of an event, next to a good record, and names the forged record's id", () => {
    const stamped: string[] = [];
    const stamp = (record: { messageId: string }) => {
      stamped.push(record.messageId);
      return `v1.k1.${'A'.repeat(43)}.${'B'.repeat(43)}`;
    };
    const events = generateGarbageEvents(createPrng(2), 'garbage', 200, 'run', stamp);
    const forged = events.filter((garbage) => garbage.forged !== undefined);
    expect(new Set(forged.map((garbage) => garbage.kind))).toEqual(
      new Set([
        'caller-plain-digest',
        'caller-random-mac',
        'caller-copied',
        'caller-copied-same-id',
        'caller-unknown-key',
        'caller-garbage',
        'caller-over-long',
      ]),
    );
    for (const garbage of forged) expect(garbage.good).toBeDefined();
    const plain = forged.find((garbage) => garbage.kind === 'caller-plain-digest') as GarbageEvent;
    const [record] = Object.values((plain.event as { records: Record<string, { headers: Record<string, number[]>[] }[]> }).records)[0] ?? [];
    const header = record?.headers.find((entry) => 'x-caller-id' in entry)?.['x-caller-id'] ?? [];
    expect(Buffer.from(header).toString('utf8')).toBe(VICTIM_DIGEST);
    // The copies are the victim's headers for other records.
    expect(stamped.some((id) => id.endsWith('-original'))).toBe(true);
  });
});
