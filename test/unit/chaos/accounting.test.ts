import { describe, expect, it } from 'vitest';
import { account } from '../../../chaos/lib/accounting';

describe('account', () => {
  it('counts nothing lost or duplicated when every acknowledged id is on the topic and in the sink once', () => {
    const result = account({ acknowledged: ['a', 'b', 'c'], onTopic: ['a', 'b', 'c'], effects: ['c', 'b', 'a'] });
    expect(result).toMatchObject({ acknowledged: 3, onTopic: 3, inSink: 3, lost: 0, duplicated: 0, topicCopies: 0 });
  });

  it('counts an acknowledged id missing from the sink as lost', () => {
    const result = account({ acknowledged: ['a', 'b', 'c'], onTopic: ['a', 'b', 'c'], effects: ['a', 'c'] });
    expect(result).toMatchObject({ inSink: 2, lost: 1, lostExamples: ['b'] });
  });

  it('counts an acknowledged id missing from the topic as lost even when its effect exists', () => {
    const result = account({ acknowledged: ['a', 'b'], onTopic: ['a'], effects: ['a', 'b'] });
    expect(result).toMatchObject({ onTopic: 1, inSink: 2, lost: 1, lostExamples: ['b'] });
  });

  it('counts every effect beyond the first as duplicated', () => {
    const result = account({ acknowledged: ['a', 'b'], onTopic: ['a', 'b'], effects: ['a', 'a', 'a', 'b', 'b'] });
    expect(result).toMatchObject({ inSink: 2, lost: 0, duplicated: 3, duplicatedExamples: ['a', 'b'] });
  });

  it('reports extra copies on the topic separately, not as duplicated effects', () => {
    const result = account({ acknowledged: ['a'], onTopic: ['a', 'a'], effects: ['a'] });
    expect(result).toMatchObject({ lost: 0, duplicated: 0, topicCopies: 1 });
  });

  it('ignores messages that were never acknowledged when counting lost ones', () => {
    const result = account({ acknowledged: ['a'], onTopic: ['a', 'x'], effects: ['a'] });
    expect(result).toMatchObject({ acknowledged: 1, lost: 0 });
  });
});
