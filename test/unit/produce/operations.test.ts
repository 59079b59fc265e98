import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/logger';
import { lazyOperation } from '../../../lib/produce/operations';
import type { HttpRequest } from '../../../lib/produce/route';

const request = { params: {} } as unknown as HttpRequest;
const answer = { statusCode: 200, headers: {}, body: '"ok"' };

describe('lazyOperation', () => {
  it('loads its code on the first request only, and answers every request with it', async () => {
    let loads = 0;
    const handler = lazyOperation(
      async () => {
        loads += 1;
        return { answer: async () => answer };
      },
      (loaded) => loaded.answer,
    );

    expect(loads).toBe(0);
    await expect(Promise.all([handler(request, silentLogger), handler(request, silentLogger)])).resolves.toEqual([answer, answer]);
    await expect(handler(request, silentLogger)).resolves.toEqual(answer);
    expect(loads).toBe(1);
  });

  it('tries the load again on the next request after a failed one', async () => {
    let loads = 0;
    const handler = lazyOperation(
      async () => {
        loads += 1;
        if (loads === 1) throw new Error('chunk missing');
        return { answer: async () => answer };
      },
      (loaded) => loaded.answer,
    );

    await expect(handler(request, silentLogger)).rejects.toThrow('chunk missing');
    await expect(handler(request, silentLogger)).resolves.toEqual(answer);
    expect(loads).toBe(2);
  });
});
