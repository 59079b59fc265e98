/** docs/openapi.yaml: a valid OpenAPI 3.1 document of exactly the routes the API serves, and every error code it answers. */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/errors';
import { HTTP_ERROR_ANSWERS } from '../../lib/http/status';
import { ROUTES } from '../../lib/produce/route';
import { OPENAPI_PATH, openApiDocument } from '../helpers/openapi';

const document = openApiDocument();
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

describe('docs/openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(OPENAPI_PATH);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the route table under its operation id, and no other', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.has(method))
        .map(([method, operation]) => `${method.toUpperCase()} ${path} ${(operation as { operationId: string }).operationId}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path} ${route.operation}`).sort());
  });

  it('names every error code a request can be answered with', () => {
    const text = JSON.stringify(document);
    // Consume-side and configuration codes never answer a request of their own.
    const consumeOnly = new Set<string>([ErrorCode.MalformedEvent, ErrorCode.UnprocessableRecord, ErrorCode.RunStopped, ErrorCode.Config]);
    const missing = Object.entries(HTTP_ERROR_ANSWERS)
      .filter(([code]) => !consumeOnly.has(code))
      .map(([, answer]) => answer.errorCode)
      .filter((errorCode) => !text.includes(String(errorCode)));
    expect(missing).toEqual([]);
  });
});
