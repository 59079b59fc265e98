import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../../lib/errors';
import {
  ANONYMOUS_CALLER,
  authenticate,
  callerDigest,
  callerLogFields,
  callerOf,
  stampRecords,
  withCaller,
  type AuthorizerContext,
} from '../../../lib/produce/caller';
import { TEST_KEY_RING } from '../../helpers/caller-keys';

// Expected digests computed outside the code under test: printf '<identity>' | sha256sum
const ANONYMOUS = 'sha256:2f183a4e64493af3f377f745eda502363cd3e7ef6e4d266d444758de0a85fcc8';
const ALICE = 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196';
const ROLE = 'sha256:1f2497addb4d1c3b9be1a1311b08609d2bc48abfa5f1e057ecca097e142a23e3';
const ROLE_SESSION_ALICE = 'sha256:ac31a69a4eec2b1c5ff1ae7527dd8787fc95b13514b80a36a49e785fc6f67241';
const ROLE_SESSION_BOB = 'sha256:a340a01672bf568af5f78628fd023e6e12ef9c0190ed9986e87a990b93017b59';
const ACCOUNT = 'sha256:162daf7fe777ab2386b4822ccac316bb1f0e51917432e394e6a7216bbf2a2dfc';
const JWT_USER_1 = 'sha256:deaa2cf031256dd489d13641e97c6dd79da1d827218c5b5e1579ad1f15bf950b';
const JWT_USER_2 = 'sha256:3c1c63fe05aa042fb12c0b44d4aee8f3b7ba1ec2e80e2056cb662ff9c2371957';

const iam = (fields: Record<string, unknown>): AuthorizerContext => ({ authorizer: { iam: fields } });
const jwt = (claims: Record<string, unknown>): AuthorizerContext => ({ authorizer: { jwt: { claims } } });

/** A role session as the IAM authorizer describes it: the same role id, the session name after the colon and in the ARN. */
const roleSession = (session: string): AuthorizerContext =>
  iam({
    userId: `AROAEXAMPLEROLE:${session}`,
    callerId: `AROAEXAMPLEROLE:${session}`,
    userArn: `arn:aws:sts::123456789012:assumed-role/producer/${session}`,
    accountId: '123456789012',
    accessKey: 'ASIAEXAMPLE',
    principalOrgId: 'o-exampleorg1',
  });

describe('callerOf', () => {
  it.each<[string, AuthorizerContext, string, string]>([
    [
      'an IAM user, by its unique id',
      iam({ userId: 'AIDAEXAMPLEALICE', userArn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012', accessKey: 'AKIAEXAMPLE' }),
      'iam:AIDAEXAMPLEALICE',
      ALICE,
    ],
    ['a role session, by the role id without the session name the caller chose', roleSession('alice@example.com'), 'iam:AROAEXAMPLEROLE', ROLE],
    [
      'the account root user (its unique id is the account id)',
      iam({ userId: '123456789012', userArn: 'arn:aws:iam::123456789012:root' }),
      'iam:123456789012',
      ACCOUNT,
    ],
    [
      'a federated user, by its account: the IAM user that called GetFederationToken chose the name',
      iam({ userId: '123456789012:bob', userArn: 'arn:aws:sts::123456789012:federated-user/bob' }),
      'iam:123456789012',
      ACCOUNT,
    ],
    ['an IAM context with only callerId', iam({ callerId: 'AIDAEXAMPLEALICE' }), 'iam:AIDAEXAMPLEALICE', ALICE],
    [
      "a Cognito identity pool user, told apart by the identity id (the role and session name are the pool's)",
      iam({
        userId: 'AROAEXAMPLEPOOL:CognitoIdentityCredentials',
        userArn: 'arn:aws:sts::123456789012:assumed-role/Cognito_PoolAuth_Role/CognitoIdentityCredentials',
        cognitoIdentity: {
          amr: ['authenticated'],
          identityId: 'us-east-1:9d8c7b6a-5f4e-4d3c-a2b1-0fedcba98765',
          identityPoolId: 'us-east-1:4f1c2b9e-0a1b-4c2d-8e3f-123456789abc',
        },
      }),
      'cognito:us-east-1:4f1c2b9e-0a1b-4c2d-8e3f-123456789abc\nus-east-1:9d8c7b6a-5f4e-4d3c-a2b1-0fedcba98765',
      'sha256:e7267622ef41e74c70724688629503f01d007a70739950946d6d926130a65372',
    ],
    [
      'a JWT subject',
      jwt({ iss: 'https://issuer.example.com/', sub: 'user-1', aud: 'x', scope: 'produce' }),
      'jwt:https://issuer.example.com/\nuser-1',
      JWT_USER_1,
    ],
    [
      'another JWT subject of the same issuer',
      jwt({ iss: 'https://issuer.example.com/', sub: 'user-2' }),
      'jwt:https://issuer.example.com/\nuser-2',
      JWT_USER_2,
    ],
  ])('%s', (_, context, identity, digest) => {
    expect(callerOf(context, false)).toMatchObject({ identity, digest });
  });

  it('gives two sessions of one role one identity: a session name chosen at AssumeRole neither mints identities nor borrows another', () => {
    const alice = callerOf(roleSession('alice@example.com'), false);
    const posingAsAlice = callerOf(roleSession('bob@example.com'), false);
    expect(alice?.digest).toBe(ROLE);
    expect(posingAsAlice?.digest).toBe(ROLE);
    expect(new Set(Array.from({ length: 20 }, (_, n) => callerOf(roleSession(`minted-${n}`), false)?.digest))).toEqual(new Set([ROLE]));
  });

  it('tells sessions of one role apart when trust policies fix the session name', () => {
    expect(callerOf(roleSession('alice@example.com'), true)).toMatchObject({ identity: 'iam:AROAEXAMPLEROLE:alice@example.com', digest: ROLE_SESSION_ALICE });
    expect(callerOf(roleSession('bob@example.com'), true)).toMatchObject({ identity: 'iam:AROAEXAMPLEROLE:bob@example.com', digest: ROLE_SESSION_BOB });
    // A user has no session: trusting session names changes nothing for it.
    expect(callerOf(iam({ userId: 'AIDAEXAMPLEALICE' }), true)?.digest).toBe(ALICE);
  });

  it('keeps what the allow-list and the log need of an IAM principal', () => {
    expect(callerOf(roleSession('s'), false)).toEqual({
      kind: 'iam',
      identity: 'iam:AROAEXAMPLEROLE',
      digest: ROLE,
      principal: { userArn: 'arn:aws:sts::123456789012:assumed-role/producer/s', accountId: '123456789012', principalOrgId: 'o-exampleorg1' },
    });
  });

  it.each<[string, AuthorizerContext | undefined]>([
    ['no request context', undefined],
    ['no authorizer', {}],
    ['a null authorizer', { authorizer: null }],
    [
      'an IAM authorizer with no principal id (the ARN alone is not enough)',
      iam({ userArn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012' }),
    ],
    ['an empty IAM principal id', iam({ userId: '', callerId: '' })],
    ['a JWT without a subject', jwt({ iss: 'https://issuer.example.com/' })],
    ['a JWT with an empty subject', jwt({ iss: 'https://issuer.example.com/', sub: '' })],
    ['a JWT without an issuer', jwt({ sub: 'user-1' })],
  ])('finds no identity in %s', (_, context) => {
    expect(callerOf(context, false)).toBeUndefined();
  });

  it('never puts the access key or the token in the caller', () => {
    const caller = callerOf(iam({ userId: 'AIDAEXAMPLEALICE', userArn: 'arn:aws:iam::123456789012:user/alice', accessKey: 'AKIAEXAMPLE' }), false);
    expect(JSON.stringify(caller)).not.toContain('AKIAEXAMPLE');
  });
});

describe('authenticate', () => {
  const local = { allowAnonymous: true, trustSessionNames: false };
  const lambda = { allowAnonymous: false, trustSessionNames: false };

  it('serves a request without an identity as the anonymous caller locally', () => {
    expect(authenticate(undefined, local)).toEqual({ kind: 'anonymous', identity: 'anonymous', digest: ANONYMOUS });
    expect(authenticate(jwt({ iss: 'https://issuer.example.com/' }), local)).toBe(ANONYMOUS_CALLER);
  });

  it.each<[string, AuthorizerContext | undefined]>([
    ['no authorizer context', undefined],
    ['a JWT without sub', jwt({ iss: 'https://issuer.example.com/' })],
    ['an IAM context without a principal id', iam({ accountId: '123456789012' })],
  ])('refuses %s in Lambda, never serving it as the shared anonymous caller', (_, context) => {
    expect(() => authenticate(context, lambda)).toThrow(new UnauthenticatedError('the request carries no authenticated caller'));
  });

  it('passes an identified caller through in both', () => {
    expect(authenticate(iam({ userId: 'AIDAEXAMPLEALICE' }), lambda).digest).toBe(ALICE);
    expect(authenticate(iam({ userId: 'AIDAEXAMPLEALICE' }), local).digest).toBe(ALICE);
  });
});

describe('callerDigest', () => {
  it('is short ASCII, well under the 128 bytes the consumer accepts', () => {
    expect(callerDigest('anonymous')).toBe(ANONYMOUS);
    expect(Buffer.byteLength(ANONYMOUS, 'utf8')).toBe(71);
    expect(callerDigest('jwt:é\n😀')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('withCaller', () => {
  // Computed outside the code under test (HMAC-SHA-256 under key k1 over the documented layout, in Python):
  // the anonymous caller's records on topic "events".
  const KEYED = 'v1.k1.Lxg6TmRJOvPzd_dF7aUCNjzT5-9uTSZtREdY3gqF_Mg.eQUDvAoq23852TL6lnUSHEMpIa2R8omXCKmS7l0X7fc';
  const BARE = 'v1.k1.Lxg6TmRJOvPzd_dF7aUCNjzT5-9uTSZtREdY3gqF_Mg.DkurzfMOkcRR_JYk65x1dekJRlA9gBGWux_v7F1izcE';

  it('appends a MAC-ed caller header to every record, after the headers it had, bound to its message id, key and value', () => {
    const records = [
      { key: Buffer.from('"k"'), value: Buffer.from('{"a":1}'), headers: [{ name: 'message-id', value: Buffer.from('m-1') }] },
      { key: null, value: null, headers: [] },
    ];
    const stamped = withCaller(records, ANONYMOUS_CALLER, 'events', TEST_KEY_RING);
    expect(stamped.map((record) => record.headers.map((header) => [header.name, header.value?.toString('ascii')]))).toEqual([
      [
        ['message-id', 'm-1'],
        ['x-caller-id', KEYED],
      ],
      [['x-caller-id', BARE]],
    ]);
    expect(records[1]?.headers).toEqual([]);
  });

  it('binds the last message-id header, the one the consumer reads', () => {
    const record = (ids: string[]) => ({
      key: Buffer.from('"k"'),
      value: Buffer.from('{"a":1}'),
      headers: ids.map((id) => ({ name: 'message-id', value: Buffer.from(id) })),
    });
    const [stamped] = withCaller([record(['other', 'm-1'])], ANONYMOUS_CALLER, 'events', TEST_KEY_RING);
    expect(stamped?.headers.at(-1)?.value?.toString('ascii')).toBe(KEYED);
  });

  it('stays well under the 128 bytes the consumer reads, whatever the key id', () => {
    const [stamped] = withCaller([{ key: null, value: null, headers: [] }], ANONYMOUS_CALLER, 'events', TEST_KEY_RING);
    // v1 . key id . 43 . 43: with the longest key id (32 characters) 123 bytes.
    expect(stamped?.headers[0]?.value?.length).toBe(BARE.length);
    expect(3 + 32 + 1 + 43 + 1 + 43).toBe(123);
  });
});

describe('callerOf: the fields it keeps', () => {
  it('keeps none of the principal fields the authorizer left empty', () => {
    const caller = callerOf(iam({ userId: 'AIDAEXAMPLEALICE', userArn: '', accountId: '', principalOrgId: '' }), false);
    expect(caller).toStrictEqual({ kind: 'iam', identity: 'iam:AIDAEXAMPLEALICE', digest: ALICE, principal: {} });
  });

  it('gives a JWT caller no principal at all', () => {
    expect(callerOf(jwt({ iss: 'https://issuer.example.com/', sub: 'user-1' }), false)).toStrictEqual({
      kind: 'jwt',
      identity: 'jwt:https://issuer.example.com/\nuser-1',
      digest: JWT_USER_1,
    });
  });

  it('reads the JWT claims when the IAM context is null', () => {
    const context: AuthorizerContext = { authorizer: { iam: null, jwt: { claims: { iss: 'https://issuer.example.com/', sub: 'user-1' } } } };
    expect(callerOf(context, false)?.digest).toBe(JWT_USER_1);
  });
});

describe('callerLogFields', () => {
  it('names a caller without an ARN by its identity and digest only', () => {
    const caller = callerOf(jwt({ iss: 'https://issuer.example.com/', sub: 'user-1' }), false);
    if (caller === undefined) throw new Error('no caller');
    expect(callerLogFields(caller)).toStrictEqual({ caller: 'jwt:https://issuer.example.com/\nuser-1', callerDigest: JWT_USER_1 });
  });
});

describe('withCaller: the message id it binds', () => {
  it('binds the message-id header even when other headers follow it', () => {
    const record = {
      key: Buffer.from('"k"'),
      value: Buffer.from('{"a":1}'),
      headers: [
        { name: 'message-id', value: Buffer.from('m-1') },
        { name: 'trace', value: Buffer.from('t-9') },
      ],
    };
    const [stamped] = withCaller([record], ANONYMOUS_CALLER, 'events', TEST_KEY_RING);
    // The MAC of the first test's first record, whose message id is m-1 too.
    expect(stamped?.headers.at(-1)?.value?.toString('ascii')).toBe(
      'v1.k1.Lxg6TmRJOvPzd_dF7aUCNjzT5-9uTSZtREdY3gqF_Mg.eQUDvAoq23852TL6lnUSHEMpIa2R8omXCKmS7l0X7fc',
    );
  });
});

describe('stampRecords', () => {
  // The same vectors as withCaller's: a record with message id m-1, key "k" and value {"a":1}.
  const KEYED = 'v1.k1.Lxg6TmRJOvPzd_dF7aUCNjzT5-9uTSZtREdY3gqF_Mg.eQUDvAoq23852TL6lnUSHEMpIa2R8omXCKmS7l0X7fc';
  const BARE = 'v1.k1.Lxg6TmRJOvPzd_dF7aUCNjzT5-9uTSZtREdY3gqF_Mg.DkurzfMOkcRR_JYk65x1dekJRlA9gBGWux_v7F1izcE';
  const headersOf = (records: ReturnType<typeof stampRecords>) =>
    records.map((record) => record.headers.map((header) => [header.name, header.value?.toString('ascii')]));

  it("keeps a record's own message id and gives the others <Idempotency-Key>:<index>, then stamps each, in place", () => {
    const records = [
      { key: Buffer.from('"k"'), value: Buffer.from('{"a":1}'), headers: [] },
      { key: Buffer.from('"k"'), value: Buffer.from('{"a":1}'), headers: [{ name: 'message-id', value: Buffer.from('m-1') }] },
    ];
    const stamped = stampRecords(records, { caller: ANONYMOUS_CALLER, topic: 'events', ring: TEST_KEY_RING, idempotencyKey: 'm', newId: () => 'fresh' });
    expect(stamped).toBe(records);
    // The first record's id is m:0, not m-1, so its MAC differs from KEYED.
    expect(headersOf(stamped)[0]?.slice(0, 1)).toEqual([['message-id', 'm:0']]);
    expect(headersOf(stamped)[0]?.[1]?.[1]).not.toBe(KEYED);
    expect(headersOf(stamped)[1]).toEqual([
      ['message-id', 'm-1'],
      ['x-caller-id', KEYED],
    ]);
  });

  it('gives fresh ids without an Idempotency-Key and stamps them as withCaller would', () => {
    const records = [{ key: Buffer.from('"k"'), value: Buffer.from('{"a":1}'), headers: [] }];
    const stamped = stampRecords(records, { caller: ANONYMOUS_CALLER, topic: 'events', ring: TEST_KEY_RING, idempotencyKey: undefined, newId: () => 'm-1' });
    expect(headersOf(stamped)).toEqual([
      [
        ['message-id', 'm-1'],
        ['x-caller-id', KEYED],
      ],
    ]);
    expect(BARE).toHaveLength(KEYED.length);
  });
});

describe('callerOf, called again and again', () => {
  it('keeps giving each identity its own digest, also after more distinct callers than it remembers', () => {
    const alice = iam({ userId: 'AIDAEXAMPLEALICE' });
    expect(callerOf(alice, false)?.digest).toBe(ALICE);
    for (let index = 0; index < 1_500; index += 1) callerOf(jwt({ iss: 'https://issuer.example', sub: `user-${index}` }), false);
    expect(callerOf(alice, false)?.digest).toBe(ALICE);
    expect(callerOf(alice, false)?.digest).toBe(ALICE);
  });
});
