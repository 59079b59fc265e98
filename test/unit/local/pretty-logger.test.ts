import { describe, expect, it } from 'vitest';
import { createPrettyLogger } from '../../../local/pretty-logger';

describe('createPrettyLogger', () => {
  it('writes time, level, component, message and key=value fields on one line', () => {
    const lines: string[] = [];
    const logger = createPrettyLogger('info', (line) => lines.push(line), { nowMs: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
    logger.info('batch processed', { component: 'event-source', partition: 1, delivered: 3, note: 'two words' });
    logger.debug('dropped');
    expect(lines).toEqual(['03:04:05.678 INFO  [event-source] batch processed partition=1 delivered=3 note="two words"']);
  });
});
