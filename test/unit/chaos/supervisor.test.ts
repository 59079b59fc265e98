import { describe, expect, it } from 'vitest';
import { parseReadyLine } from '../../../chaos/lib/supervisor';

describe('parseReadyLine', () => {
  it('reads the three addresses of the contract ready line', () => {
    expect(parseReadyLine('ready http=http://127.0.0.1:3000 kafka=127.0.0.1:19092 dynamodb=http://127.0.0.1:8000')).toEqual({
      http: 'http://127.0.0.1:3000',
      kafka: '127.0.0.1:19092',
      dynamodb: 'http://127.0.0.1:8000',
    });
  });

  it('ignores trailing prettier output on the same line', () => {
    expect(parseReadyLine('ready http=http://127.0.0.1:1 kafka=127.0.0.1:2 dynamodb=http://127.0.0.1:3 (ctrl-c to stop)')?.dynamodb).toBe('http://127.0.0.1:3');
  });

  it('returns undefined for any other line', () => {
    expect(parseReadyLine('{"level":"info","message":"ready soon"}')).toBeUndefined();
  });
});
