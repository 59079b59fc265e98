/**
 * Who is calling the produce API, as API Gateway authenticated them (CONTRACT: Produce, "The
 * authenticated caller"). The caller scopes `Idempotency-Key` and is stamped on every record
 * in {@link CALLER_HEADER}, with a MAC no one without the key can forge.
 *
 * Event shapes (HTTP API payload format 2.0,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * the IAM authorizer puts `requestContext.authorizer.iam` (`userId`, `userArn`, `accountId`,
 * `principalOrgId`, ...), the JWT authorizer `requestContext.authorizer.jwt.claims` (`iss`,
 * `sub`, ...). A request with neither carries no identity: in Lambda it is refused; the local
 * runtime, which has no authorizer, serves it as the one anonymous caller.
 */
import { createHash } from 'node:crypto';
import { callerHeaderStamper } from '../caller-mac/header';
import type { CallerKeyRing } from '../caller-mac/key-ring';
import { UnauthenticatedError } from '../errors';
import { CALLER_HEADER, lastHeaderNamed, MESSAGE_ID_HEADER } from '../headers';
import { newMessageId } from './message-id';
import type { ProduceRecord } from './validation';

/** How the caller was authenticated. */
export const CallerKind = { Iam: 'iam', Jwt: 'jwt', Anonymous: 'anonymous' } as const;
export type CallerKind = (typeof CallerKind)[keyof typeof CallerKind];

/** What the IAM authorizer said of an IAM caller's principal, beyond its identity. */
export interface IamPrincipal {
  /** The principal's ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>` for a role session). */
  userArn?: string;
  /** The account the principal belongs to. */
  accountId?: string;
  /** The AWS Organizations id of that account, when it belongs to one. */
  principalOrgId?: string;
}

/** The authenticated caller of one request. */
export interface Caller {
  kind: CallerKind;
  /**
   * The canonical identity string the digest is computed over: `iam:<principal unique id>`
   * (with `:<session name>` when session names are trusted), `cognito:<identity pool id>\n<identity id>`,
   * `jwt:<iss>\n<sub>` or `anonymous`. Never a token or a secret; fit for logs.
   */
  identity: string;
  /** `sha256:` and the lowercase hex SHA-256 of {@link identity}: 71 ASCII bytes. */
  digest: string;
  /** IAM callers only. */
  principal?: IamPrincipal;
}

/** How requests are turned into callers (`config.produce.callers`). */
export interface CallerRules {
  /** Serve a request without an identity as the one anonymous caller: the local runtime only. */
  allowAnonymous: boolean;
  /**
   * Role session names are fixed by the roles' trust policies (`sts:RoleSessionName` or
   * `sts:SourceIdentity` conditions), so a session name names a person and may tell callers apart.
   */
  trustSessionNames: boolean;
}

/** The part of an HTTP API v2 request context this module reads; every field may be absent. */
export interface AuthorizerContext {
  authorizer?: {
    iam?: {
      userId?: unknown;
      userArn?: unknown;
      accountId?: unknown;
      callerId?: unknown;
      principalOrgId?: unknown;
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
  // Stryker disable next-line StringLiteral: Node reads an empty encoding name as UTF-8.
  return `sha256:${createHash('sha256').update(identity, 'utf8').digest('hex')}`;
}

/** The one caller of every request that carries no identity, where such requests are served (locally). */
export const ANONYMOUS_CALLER: Caller = Object.freeze({ kind: CallerKind.Anonymous, identity: ANONYMOUS_IDENTITY, digest: callerDigest(ANONYMOUS_IDENTITY) });

/**
 * The IAM principal's identity. `userId` is IAM's unique id of the principal (`aws:userid`,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable):
 * `AIDA…` for a user; `AROA…:<session name>` for a role session, the role's id before the colon;
 * `<account>:<name>` for a federated user. Whatever follows the colon was chosen by whoever
 * obtained the credentials, so by default it is dropped: otherwise one principal allowed to
 * assume a role could mint an identity per session name, and two principals able to assume the
 * same role could pose as each other by picking each other's name. The ARN is not used for the
 * same reason (it ends with the session name) and because a role deleted and created again
 * under the same name is another principal with a new unique id.
 */
function iamIdentity(userId: string, trustSessionNames: boolean): string {
  const colon = userId.indexOf(':');
  if (colon === -1 || trustSessionNames) return `iam:${userId}`;
  return `iam:${userId.slice(0, colon)}`;
}

function iamPrincipal(iam: NonNullable<NonNullable<AuthorizerContext['authorizer']>['iam']>): IamPrincipal {
  const principal: IamPrincipal = {};
  if (nonEmpty(iam.userArn)) principal.userArn = iam.userArn;
  if (nonEmpty(iam.accountId)) principal.accountId = iam.accountId;
  if (nonEmpty(iam.principalOrgId)) principal.principalOrgId = iam.principalOrgId;
  return principal;
}

// Digests of recent identities: a container serves the same few callers over and over, and a
// SHA-256 per request cost more than the rest of reading the request's envelope. Cleared when
// full, so that many distinct callers cannot grow it.
const MAX_REMEMBERED_DIGESTS = 1_000;
const rememberedDigests = new Map<string, string>();

function rememberedDigest(identity: string): string {
  let digest = rememberedDigests.get(identity);
  // Stryker disable next-line ConditionalExpression: speed only; computing the digest again gives the same one.
  if (digest === undefined) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: bounds the cache's memory only; a digest cleared away is computed again, the same.
    if (rememberedDigests.size >= MAX_REMEMBERED_DIGESTS) rememberedDigests.clear();
    digest = callerDigest(identity);
    // Stryker disable next-line CallExpression: speed only; a digest not remembered is computed again, the same.
    rememberedDigests.set(identity, digest);
  }
  return digest;
}

function identified(kind: CallerKind, identity: string, principal?: IamPrincipal): Caller {
  return { kind, identity, digest: rememberedDigest(identity), ...(principal === undefined ? {} : { principal }) };
}

/**
 * The caller of a request with this request context, or undefined when it carries no usable
 * identity (no authorizer context, an IAM context without a principal id, a JWT without `iss`
 * or `sub`).
 */
export function callerOf(context: AuthorizerContext | undefined, trustSessionNames: boolean): Caller | undefined {
  const iam = context?.authorizer?.iam;
  if (iam !== undefined && iam !== null) {
    // Every user of a Cognito identity pool assumes the pool's role under the same session
    // name, so the role cannot tell them apart; the pool's identity id does.
    const cognito = iam.cognitoIdentity;
    if (cognito !== undefined && cognito !== null && nonEmpty(cognito.identityPoolId) && nonEmpty(cognito.identityId)) {
      return identified(CallerKind.Iam, `cognito:${cognito.identityPoolId}\n${cognito.identityId}`, iamPrincipal(iam));
    }
    // `callerId` is the same principal id under another name; read when `userId` is missing.
    const userId = nonEmpty(iam.userId) ? iam.userId : iam.callerId;
    if (nonEmpty(userId)) return identified(CallerKind.Iam, iamIdentity(userId, trustSessionNames), iamPrincipal(iam));
  }
  const claims = context?.authorizer?.jwt?.claims;
  if (claims !== undefined && claims !== null && nonEmpty(claims.iss) && nonEmpty(claims.sub)) {
    // `sub` is unique only within its issuer (OpenID Connect Core 1.0, section 2), so both are kept.
    return identified(CallerKind.Jwt, `jwt:${claims.iss}\n${claims.sub}`);
  }
  return undefined;
}

/**
 * The caller of a request: {@link callerOf}, or the anonymous caller where `rules` allow it.
 *
 * @throws {UnauthenticatedError} when the request carries no usable identity and anonymous
 *   callers are not served (in Lambda): never the shared anonymous caller there, since every
 *   such request would share one idempotency scope and one caller header.
 */
export function authenticate(context: AuthorizerContext | undefined, rules: CallerRules): Caller {
  const caller = callerOf(context, rules.trustSessionNames);
  if (caller !== undefined) return caller;
  if (rules.allowAnonymous) return ANONYMOUS_CALLER;
  throw new UnauthenticatedError('the request carries no authenticated caller');
}

/**
 * Fields for the produce log line: the identity, its digest and, for an IAM caller, its ARN
 * (the unique id alone names no one a reader knows).
 */
export function callerLogFields(caller: Caller): Record<string, string> {
  const arn = caller.principal?.userArn;
  return { caller: caller.identity, callerDigest: caller.digest, ...(arn === undefined ? {} : { callerArn: arn }) };
}

/** The bytes of the last header named `name`, the one a Kafka reader takes ("last header wins"); null when none. */
function lastHeader(record: ProduceRecord, name: string): Buffer | null {
  return lastHeaderNamed(record.headers, name)?.value ?? null;
}

/**
 * Returns the records with the caller header, {@link CALLER_HEADER}: the caller's digest and a
 * MAC over it and the record (`lib/caller-mac/header.ts`), under the ring's current key. Run it
 * last: the MAC covers the record's `message-id` header, key and value as they will be sent.
 * Validation has already refused requests that set this header themselves, so each record
 * gets exactly one.
 */
export function withCaller(records: readonly ProduceRecord[], caller: Caller, topic: string, ring: CallerKeyRing): ProduceRecord[] {
  const stamp = callerHeaderStamper(ring, caller.digest, topic);
  return records.map((record) => {
    const value = stamp({ messageId: lastHeader(record, MESSAGE_ID_HEADER), key: record.key, value: record.value });
    return { ...record, headers: [...record.headers, { name: CALLER_HEADER, value }] };
  });
}

/** What {@link stampRecords} needs besides the records. */
export interface RecordStamps {
  caller: Caller;
  topic: string;
  ring: CallerKeyRing;
  idempotencyKey: string | undefined;
  /** Source of fresh message ids (a UUID generator in production). */
  newId: () => string;
  /**
   * Each record's position in the request, when the records are not all of it (a v3 stream or
   * batch leaves out the records it refused): `<Idempotency-Key>:<position>` stays the same
   * whichever records a retry of the same body gets through.
   */
  positions?: readonly number[];
}

/**
 * Gives every record its `message-id` (as {@link withMessageIds}) and then its caller header
 * (as {@link withCaller}), in one pass and in place: the records are the request's own, fresh
 * from the body, and copying them twice cost two objects and two arrays per record.
 */
export function stampRecords(records: ProduceRecord[], stamps: RecordStamps): ProduceRecord[] {
  const stamp = callerHeaderStamper(stamps.ring, stamps.caller.digest, stamps.topic);
  for (let index = 0; index < records.length; index += 1) {
    const record = records[index] as ProduceRecord;
    let messageId = lastHeader(record, MESSAGE_ID_HEADER);
    if (messageId === null) {
      messageId = newMessageId(stamps.idempotencyKey, stamps.positions?.[index] ?? index, stamps.newId);
      record.headers.push({ name: MESSAGE_ID_HEADER, value: messageId });
    }
    record.headers.push({ name: CALLER_HEADER, value: stamp({ messageId, key: record.key, value: record.value }) });
  }
  return records;
}
