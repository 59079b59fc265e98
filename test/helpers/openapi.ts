/**
 * Holds answers to `docs/openapi.yaml`: the route and status must be documented, the
 * `Content-Type` must be one the status documents, and the body must match its schema (for a
 * v3 records answer, each CRLF-terminated report). Integration tests run every answer they
 * receive through {@link checkAgainstOpenApi}, so the document cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { parse } from 'yaml';
import type { ProduceRuntime } from '../../lib/produce';
import { matchPath } from '../../lib/produce/route';
import { REPORT_SEPARATOR } from '../../lib/produce/v3-answer';

/** Where the document lives. */
export const OPENAPI_PATH = join(import.meta.dirname, '..', '..', 'docs', 'openapi.yaml');

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
  $ref?: string;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
/** The parts of the document the checks read. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation | unknown>>;
  components: { responses: Record<string, ResponseObject>; schemas: Record<string, unknown> };
}

/** The document, parsed (YAML anchors resolved). */
export function openApiDocument(): OpenApiDocument {
  return parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenApiDocument;
}

const document = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components }, 'openapi');
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (validate === undefined) {
    // Local references (#/components/...) are resolved against the document's components.
    const rewritten = JSON.parse(key.replaceAll('"#/components/', '"openapi#/components/')) as object;
    validate = ajv.compile(rewritten);
    validators.set(key, validate);
  }
  return validate;
}

function resolved(response: ResponseObject): ResponseObject {
  if (response.$ref === undefined) return response;
  const name = response.$ref.replace('#/components/responses/', '');
  return document.components.responses[name] ?? {};
}

/** The bodies to check: one JSON value, or each CRLF-terminated report of a v3 records answer. */
function bodiesOf(operationId: string, statusCode: number, body: string): { bodies: unknown[]; problems: string[] } {
  if (operationId === 'produceRecords' && statusCode === 200) {
    if (!body.endsWith(REPORT_SEPARATOR)) return { bodies: [], problems: ['the reports do not end with CRLF'] };
    return {
      bodies: body
        .slice(0, -REPORT_SEPARATOR.length)
        .split(REPORT_SEPARATOR)
        .map((report) => JSON.parse(report)),
      problems: [],
    };
  }
  return { bodies: [JSON.parse(body)], problems: [] };
}

/**
 * What is wrong with `response` as the answer of `method` on `path` (a path template of the
 * document); an empty list when the document describes it.
 */
export function openApiProblems(method: string, path: string, response: APIGatewayProxyStructuredResultV2): string[] {
  const operation = document.paths[path]?.[method.toLowerCase()] as Operation | undefined;
  if (operation === undefined) return [`${method} ${path} is not in the document`];
  const statusCode = response.statusCode ?? 200;
  const documented = operation.responses[String(statusCode)];
  if (documented === undefined) return [`${method} ${path}: status ${statusCode} is not documented`];
  const headers = Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  const contentType = headers['content-type'] ?? '';
  const media = resolved(documented).content?.[contentType];
  if (media === undefined) return [`${method} ${path} ${statusCode}: Content-Type "${contentType}" is not documented`];
  const { bodies, problems } = bodiesOf(operation.operationId, statusCode, String(response.body ?? ''));
  const validate = validatorFor(media.schema);
  for (const body of bodies) {
    if (!validate(body)) problems.push(`${method} ${path} ${statusCode}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`);
  }
  return problems;
}

/**
 * The runtime with every answer held to the document: an answer on a route of the document
 * must be one it describes; an answer to a path no route has is 404 40400, to a method its path
 * does not serve 405 40501, as the document's description says.
 */
export function heldToOpenApi(runtime: ProduceRuntime): ProduceRuntime {
  return {
    async handler(event, context) {
      const result = await runtime.handler(event, context);
      const method = event.requestContext?.http?.method?.toUpperCase() ?? '';
      const match = matchPath(event.rawPath ?? '');
      const route = match?.routes.find((candidate) => candidate.method === method);
      if (route !== undefined) {
        expect(openApiProblems(method, route.path, result), `${method} ${event.rawPath}`).toEqual([]);
      } else {
        const code = (JSON.parse(String(result.body)) as { error_code?: unknown }).error_code;
        expect([result.statusCode, code]).toEqual(match === undefined ? [404, 40400] : [405, 40501]);
      }
      return result;
    },
    close: () => runtime.close(),
  };
}
