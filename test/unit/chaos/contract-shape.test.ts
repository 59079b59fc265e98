import { describe, expect, it } from 'vitest';
import { contractProblem, v3ProducedCount } from '../../../chaos/lib/contract-shape';
import { parseRawResponse } from '../../../chaos/lib/http';

function response(status: number, body: string, contentType = 'application/vnd.kafka.v2+json') {
  return { status, headers: { 'content-type': contentType }, body: Buffer.from(body) };
}

describe('contractProblem', () => {
  it('accepts a 400 with error_code 40001 and a message', () => {
    expect(contractProblem(response(400, '{"error_code":40001,"message":"body is not JSON"}'), [400])).toBeUndefined();
  });

  it('rejects any 500, whatever its body', () => {
    expect(contractProblem(response(500, '{"error_code":50002,"message":"x"}'), [500])).toBe('status 500');
  });

  it('rejects an error code from another status family', () => {
    expect(contractProblem(response(422, '{"error_code":40001,"message":"x"}'), [422])).toMatch(/not in the contract's error shape/);
  });

  it('rejects a status the contract does not allow for the request', () => {
    expect(contractProblem(response(422, '{"error_code":42201,"message":"x"}'), [415])).toBe(
      'status 422 where the contract allows 415 ({"error_code":42201,"message":"x"})',
    );
  });

  it('rejects a body that is not JSON', () => {
    expect(contractProblem(response(400, 'Bad Request', 'text/plain'), [400])).toMatch(/not JSON/);
  });

  it('rejects a leaked stack trace', () => {
    expect(contractProblem(response(422, '{"error_code":42201,"message":"TypeError: x\\n    at parse (file.ts:1:1)"}'), [422])).toMatch(/stack trace/);
  });

  it('accepts a 200 with offsets', () => {
    expect(contractProblem(response(200, '{"key_schema_id":null,"value_schema_id":null,"offsets":[]}'), [200])).toBeUndefined();
  });

  it('counts a dropped connection as a problem', () => {
    expect(contractProblem(undefined, [400])).toMatch(/no HTTP answer/);
  });
});

describe('parseRawResponse', () => {
  it('reads status, lower-cased headers and a Content-Length body', () => {
    const parsed = parseRawResponse(Buffer.from('HTTP/1.1 415 Unsupported Media Type\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}extra'));
    expect(parsed).toEqual({ status: 415, headers: { 'content-type': 'application/json', 'content-length': '2' }, body: Buffer.from('{}') });
  });

  it('decodes a chunked body', () => {
    const parsed = parseRawResponse(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'));
    expect(parsed?.body.toString()).toBe('abcde');
  });

  it('returns undefined for bytes that are not a response', () => {
    expect(parseRawResponse(Buffer.from('garbage'))).toBeUndefined();
  });
});

describe('contractProblem: the v3 answers', () => {
  const v3 = (status: number, body: string) => ({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) });

  it('accepts CRLF-terminated reports of produced and refused records', () => {
    expect(contractProblem(v3(200, '{"error_code":200,"offset":0}\r\n{"error_code":42201,"message":"x"}\r\n'), [200])).toBeUndefined();
    expect(v3ProducedCount(v3(200, '{"error_code":200,"offset":0}\r\n{"error_code":42201,"message":"x"}\r\n{"error_code":200,"offset":1}\r\n'))).toBe(2);
  });

  it('rejects a report with a 5xx code inside a 200, which would hide a server fault', () => {
    expect(contractProblem(v3(200, '{"error_code":50003,"message":"x"}\r\n'), [200])).toBe(
      'status 200 with a v3 report of error_code 50003: {"error_code":50003,"message":"x"}',
    );
  });

  it('accepts a 207 batch answer and counts its successes', () => {
    const batch = '{"successes":[{"id":"1"}],"failures":[{"id":"2","error_code":42201,"message":"x"}]}';
    expect(contractProblem(v3(207, batch), [207])).toBeUndefined();
    expect(v3ProducedCount(v3(207, batch))).toBe(1);
    expect(v3ProducedCount(v3(422, '{"error_code":42208,"message":"Empty batch."}'))).toBe(0);
  });

  it("accepts Confluent's v3 error_code equal to the status (an unknown cluster)", () => {
    expect(contractProblem(v3(404, '{"error_code":404,"message":"cluster x cannot be found"}'), [404])).toBeUndefined();
  });
});
