import { describe, expect, it } from 'vitest';
import { withMessageIds } from '../../../lib/produce/message-id';

const record = (headers: { name: string; value: Buffer }[] = []) => ({ key: null, value: Buffer.from('1'), headers });

describe('withMessageIds', () => {
  it('keeps the client message-id, and adds <key>:<index> to records without one', () => {
    const records = withMessageIds(
      [record([{ name: 'message-id', value: Buffer.from('own') }]), record([{ name: 'trace', value: Buffer.from('t') }])],
      'k',
      () => 'fresh',
    );
    expect(records.map(({ headers }) => headers.map(({ name, value }) => `${name}=${value?.toString()}`))).toEqual([
      ['message-id=own'],
      ['trace=t', 'message-id=k:1'],
    ]);
  });

  it('adds a fresh id to each record when no Idempotency-Key was given', () => {
    let n = 0;
    const records = withMessageIds([record(), record()], undefined, () => `id-${(n += 1)}`);
    expect(records.map(({ headers }) => headers[0]?.value?.toString())).toEqual(['id-1', 'id-2']);
  });
});
