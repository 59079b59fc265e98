import { describe, expect, it } from 'vitest';
import { createPartitioner, murmur2, type PartitionLeader } from '../../../lib/kafka/partitioner';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('murmur2', () => {
  // The expected hashes are those of Kafka's own UtilsTest.testMurmur2 (Java client).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as the Java client does', (key, expected) => {
    expect(murmur2(bytes(key))).toBe(expected);
  });

  it('covers every tail length (0 to 3 bytes past a multiple of 4)', () => {
    // 'abc' above has a 3-byte tail, '21' a 2-byte one, 'foobar' a 2-byte one after a block;
    // the empty, 1-byte and whole-block values below are kafkajs' own murmur2 of the same bytes.
    expect(murmur2(bytes(''))).toBe(275646681);
    expect(murmur2(bytes('a'))).toBe(-1563381124);
    expect(murmur2(bytes('abcd'))).toBe(-1323649548);
  });
});

const fourLed: PartitionLeader[] = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1 }));

describe('createPartitioner', () => {
  it('places keyed records by the positive murmur2 of the key modulo the partition count', () => {
    const partitioner = createPartitioner();
    // -790332482 & 0x7fffffff = 1357151166; % 4 = 2.
    expect(partitioner('t', fourLed, bytes('foobar'))).toBe(2);
    // -973932308 & 0x7fffffff = 1173551340; % 4 = 0.
    expect(partitioner('t', fourLed, bytes('21'))).toBe(0);
    // 479470107 % 3 = 0 (the partition count, not the led ones, is the modulus for keys).
    expect(partitioner('t', fourLed.slice(0, 3), bytes('abc'))).toBe(0);
  });

  it('places keyless records round-robin over the partitions that have a leader', () => {
    const partitioner = createPartitioner();
    const partitions: PartitionLeader[] = [
      { partitionId: 0, leader: 1 },
      { partitionId: 1, leader: -1 },
      { partitionId: 2, leader: 2 },
      { partitionId: 3, leader: -1 },
    ];
    const chosen = Array.from({ length: 6 }, () => partitioner('t', partitions, null));
    expect(chosen.every((partition) => partition === 0 || partition === 2)).toBe(true);
    // Alternating, whatever the random start.
    expect(chosen.slice(1)).toEqual(chosen.slice(0, 5).map((partition) => (partition === 0 ? 2 : 0)));
  });

  it('still places keyless records when no partition has a leader', () => {
    const partitioner = createPartitioner();
    const leaderless: PartitionLeader[] = [0, 1, 2].map((partitionId) => ({ partitionId, leader: -1 }));
    const chosen = Array.from({ length: 3 }, () => partitioner('t', leaderless, null));
    expect([...chosen].sort()).toEqual([0, 1, 2]);
  });
});
