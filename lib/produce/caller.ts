/**
 * Who is calling the produce API, as API Gateway authenticated them (CONTRACT: Produce, "The
 * authenticated caller"). The caller scopes `Idempotency-Key` and is stamped on every record
 * as a digest in {@link CALLER_HEADER}.
 *
 * Event shapes (HTTP API payload format 2.0,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * the IAM authorizer puts `requestContext.authorizer.iam` (`userArn`, `accountId`, `callerId`,
 * ...), the JWT authorizer `requestContext.authorizer.jwt.claims` (`iss`, `sub`, ...). Without
 * an authorizer (the local runtime, a route left open) every request is the one anonymous caller.
 */
import { createHash } from 'node:crypto';
import { CALLER_HEADER } from '../headers';
import type { ProduceRecord } from './validation';

/** How the caller was authenticated. */
export const CallerKind = { Iam: 'iam', Jwt: 'jwt', Anonymous: 'anonymous' } as const;
export type CallerKind = (typeof CallerKind)[keyof typeof CallerKind];

/** The authenticated caller of one request. */
export interface Caller {
  kind: CallerKind;
  /**
   * The canonical identity string the digest is computed over: `iam:<userArn>`,
   * `cognito:<identity pool id>\n<identity id>`, `jwt:<iss>\n<sub>` or `anonymous`. Never a
   * token or a secret; fit for logs.
   */
  identity: string;
  /** `sha256:` and the lowercase hex SHA-256 of {@link identity}: 71 ASCII bytes. */
  digest: string;
}

/** The part of an HTTP API v2 request context this module reads; every field may be absent. */
export interface AuthorizerContext {
  authorizer?: {
    iam?: {
      userArn?: unknown;
      accountId?: unknown;
      callerId?: unknown;
      cognitoIdentity?: { identityId?: unknown; identityPoolId?: unknown } | null;
    } | null;
    jwt?: { claims?: Record<string, unknown> | null } | null;
  } | null;
}

/** The identity of requests that carry none. */
const ANONYMOUS_IDENTITY = 'anonymous';

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * The digest stamped on records and used in idempotency keys: ASCII, short, stable per
 * caller, and checkable by anyone who knows the identity (the produce log names both), while
 * readers of the topic see no account id, role or user name.
 */
export function callerDigest(identity: string): string {
  return `sha256:${createHash('sha256').update(identity, 'utf8').digest('hex')}`;
}

function canonicalIdentity(context: AuthorizerContext | undefined): { kind: CallerKind; identity: string } {
  const iam = context?.authorizer?.iam;
  if (iam !== undefined && iam !== null) {
    // Every user of a Cognito identity pool assumes the pool's role under the same session
    // name, so the ARN cannot tell them apart; the pool's identity id does.
    const cognito = iam.cognitoIdentity;
    if (cognito !== undefined && cognito !== null && nonEmpty(cognito.identityPoolId) && nonEmpty(cognito.identityId)) {
      return { kind: CallerKind.Iam, identity: `cognito:${cognito.identityPoolId}\n${cognito.identityId}` };
    }
    // The full ARN, session name included: sessions of one role may be different people
    // (IAM Identity Center puts the user in the session name), so they are not merged.
    if (nonEmpty(iam.userArn)) return { kind: CallerKind.Iam, identity: `iam:${iam.userArn}` };
    if (nonEmpty(iam.accountId) && nonEmpty(iam.callerId)) {
      return { kind: CallerKind.Iam, identity: `iam:${iam.accountId}:${iam.callerId}` };
    }
  }
  const claims = context?.authorizer?.jwt?.claims;
  if (claims !== undefined && claims !== null && nonEmpty(claims.iss) && nonEmpty(claims.sub)) {
    // `sub` is unique only within its issuer (OpenID Connect Core 1.0, section 2), so both are kept.
    return { kind: CallerKind.Jwt, identity: `jwt:${claims.iss}\n${claims.sub}` };
  }
  return { kind: CallerKind.Anonymous, identity: ANONYMOUS_IDENTITY };
}

/** The caller of a request with this request context (anonymous when it carries no identity). */
export function callerOf(context: AuthorizerContext | undefined): Caller {
  const { kind, identity } = canonicalIdentity(context);
  return { kind, identity, digest: callerDigest(identity) };
}

/** Fields for the produce log line: the identity (an ARN, or issuer and subject) and its digest. */
export function callerLogFields(caller: Caller): Record<string, string> {
  return { caller: caller.identity, callerDigest: caller.digest };
}

/**
 * Returns the records with the caller's digest in {@link CALLER_HEADER}. Validation has
 * already refused requests that set this header themselves, so each record gets exactly one.
 */
export function withCaller(records: readonly ProduceRecord[], caller: Caller): ProduceRecord[] {
  const value = Buffer.from(caller.digest, 'ascii');
  return records.map((record) => ({ ...record, headers: [...record.headers, { name: CALLER_HEADER, value }] }));
}
