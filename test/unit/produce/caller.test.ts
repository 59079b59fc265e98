import { describe, expect, it } from 'vitest';
import { callerDigest, callerOf, withCaller, type AuthorizerContext } from '../../../lib/produce/caller';

// Expected digests computed outside the code under test: printf '<identity>' | sha256sum
const ANONYMOUS = 'sha256:2f183a4e64493af3f377f745eda502363cd3e7ef6e4d266d444758de0a85fcc8';
const ALICE = 'sha256:1d7344df2e1b8d3c27dfa4fb7e4b2949ce9fc4cfa1b74499ccfd596d63d30095';
const ALICE_OTHER_ACCOUNT = 'sha256:79af8bb09c33925dd1a5545aa9beb16c3f35dcfaa6ba4f90b150760293732261';
const JWT_USER_1 = 'sha256:deaa2cf031256dd489d13641e97c6dd79da1d827218c5b5e1579ad1f15bf950b';
const JWT_USER_2 = 'sha256:3c1c63fe05aa042fb12c0b44d4aee8f3b7ba1ec2e80e2056cb662ff9c2371957';

const iam = (fields: Record<string, unknown>): AuthorizerContext => ({ authorizer: { iam: fields } });
const jwt = (claims: Record<string, unknown>): AuthorizerContext => ({ authorizer: { jwt: { claims } } });

describe('callerOf', () => {
  it.each<[string, AuthorizerContext | undefined, string, string, string]>([
    ['no request context', undefined, 'anonymous', 'anonymous', ANONYMOUS],
    ['no authorizer (the local runtime)', {}, 'anonymous', 'anonymous', ANONYMOUS],
    ['a null authorizer', { authorizer: null }, 'anonymous', 'anonymous', ANONYMOUS],
    [
      'an IAM user',
      iam({ userArn: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012', callerId: 'AIDAEXAMPLE', accessKey: 'AKIAEXAMPLE' }),
      'iam',
      'iam:arn:aws:iam::123456789012:user/alice',
      ALICE,
    ],
    [
      'the same user name in another account',
      iam({ userArn: 'arn:aws:iam::210987654321:user/alice' }),
      'iam',
      'iam:arn:aws:iam::210987654321:user/alice',
      ALICE_OTHER_ACCOUNT,
    ],
    [
      "a Cognito identity pool user, told apart by the identity id (the role and session name are the pool's)",
      iam({
        userArn: 'arn:aws:sts::123456789012:assumed-role/Cognito_PoolAuth_Role/CognitoIdentityCredentials',
        cognitoIdentity: {
          amr: ['authenticated'],
          identityId: 'us-east-1:9d8c7b6a-5f4e-4d3c-a2b1-0fedcba98765',
          identityPoolId: 'us-east-1:4f1c2b9e-0a1b-4c2d-8e3f-123456789abc',
        },
      }),
      'iam',
      'cognito:us-east-1:4f1c2b9e-0a1b-4c2d-8e3f-123456789abc\nus-east-1:9d8c7b6a-5f4e-4d3c-a2b1-0fedcba98765',
      'sha256:e7267622ef41e74c70724688629503f01d007a70739950946d6d926130a65372',
    ],
    [
      'a JWT subject',
      jwt({ iss: 'https://issuer.example.com/', sub: 'user-1', aud: 'x', scope: 'produce' }),
      'jwt',
      'jwt:https://issuer.example.com/\nuser-1',
      JWT_USER_1,
    ],
    [
      'another JWT subject of the same issuer',
      jwt({ iss: 'https://issuer.example.com/', sub: 'user-2' }),
      'jwt',
      'jwt:https://issuer.example.com/\nuser-2',
      JWT_USER_2,
    ],
    ['a JWT without a subject', jwt({ iss: 'https://issuer.example.com/' }), 'anonymous', 'anonymous', ANONYMOUS],
    ['an IAM authorizer with no identity fields', iam({}), 'anonymous', 'anonymous', ANONYMOUS],
  ])('%s', (_, context, kind, identity, digest) => {
    expect(callerOf(context)).toEqual({ kind, identity, digest });
  });

  it('falls back on the account and caller id when the IAM authorizer gives no ARN', () => {
    expect(callerOf(iam({ accountId: '123456789012', callerId: 'AROAEXAMPLE:session' })).identity).toBe('iam:123456789012:AROAEXAMPLE:session');
  });

  it('never puts the access key or the token in the identity', () => {
    const caller = callerOf(iam({ userArn: 'arn:aws:iam::123456789012:user/alice', accessKey: 'AKIAEXAMPLE' }));
    expect(JSON.stringify(caller)).not.toContain('AKIAEXAMPLE');
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
  it('appends the digest header to every record, after the headers it had', () => {
    const records = [
      { key: null, value: Buffer.from('1'), headers: [{ name: 'trace', value: Buffer.from('t') }] },
      { key: null, value: null, headers: [] },
    ];
    const stamped = withCaller(records, callerOf(undefined));
    expect(stamped.map((record) => record.headers.map((header) => [header.name, header.value.toString('ascii')]))).toEqual([
      [
        ['trace', 't'],
        ['x-caller-id', ANONYMOUS],
      ],
      [['x-caller-id', ANONYMOUS]],
    ]);
    expect(records[1]?.headers).toEqual([]);
  });
});
