/** A failure of the body reader that is not about the body is a fault of ours, not a 400. */
import { describe, expect, it, vi } from 'vitest';
import { BodyNotJsonError } from '../../../lib/errors';
import { EmbeddedFormat, parseProduceBody } from '../../../lib/produce/validation';

vi.mock('../../../lib/produce/json-body', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../lib/produce/json-body')>()),
  readJson: () => {
    throw new TypeError('a bug in the reader');
  },
}));

describe('parseProduceBody when the reader fails', () => {
  it('lets an error that is not a syntax error through, instead of answering that the body is not JSON', () => {
    const parse = () => parseProduceBody(Buffer.from('{"records":[{"value":1}]}'), EmbeddedFormat.Json, { maxRecordsPerRequest: 10, maxRequestBytes: 1_000 });
    expect(parse).toThrow(TypeError);
    expect(parse).not.toThrow(BodyNotJsonError);
  });
});
