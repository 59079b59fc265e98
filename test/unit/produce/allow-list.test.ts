import { describe, expect, it } from 'vitest';
import { loadConfig, type CallerAllowList } from '../../../lib/config';
import { CallerNotAllowedError } from '../../../lib/errors';
import { checkCallerAllowed } from '../../../lib/produce/allow-list';
import { ANONYMOUS_CALLER, type Caller } from '../../../lib/produce/caller';

const iamCaller = (userArn: string, accountId: string, principalOrgId?: string): Caller => ({
  kind: 'iam',
  identity: 'iam:AROAEXAMPLE',
  digest: 'sha256:unused',
  principal: { userArn, accountId, ...(principalOrgId === undefined ? {} : { principalOrgId }) },
});
const jwtCaller: Caller = { kind: 'jwt', identity: 'jwt:https://issuer.example.com/\nuser-1', digest: 'sha256:unused' };

/** The list as lib/config.ts parses it from the environment. */
function allowList(principals: string, orgId = ''): CallerAllowList {
  const list = loadConfig({ PRODUCE_ALLOWED_PRINCIPALS: principals, PRODUCE_ALLOWED_ORG_ID: orgId }).produce.callers.allowList;
  if (list === undefined) throw new Error('no list');
  return list;
}

const ROLE_SESSION = 'arn:aws:sts::111122223333:assumed-role/orders-writer/i-0abc';
const USER = 'arn:aws:iam::111122223333:user/ops/alice';

describe('checkCallerAllowed', () => {
  it('lets every caller through when there is no list', () => {
    expect(() => checkCallerAllowed(ANONYMOUS_CALLER, undefined)).not.toThrow();
    expect(() => checkCallerAllowed(iamCaller(USER, '111122223333'), undefined)).not.toThrow();
  });

  it.each<[string, Caller, string, string]>([
    [
      'a role, any session of it (the path is not in a session ARN)',
      iamCaller(ROLE_SESSION, '111122223333'),
      'arn:aws:iam::111122223333:role/service/orders-writer',
      '',
    ],
    ['a user by its ARN, path included', iamCaller(USER, '111122223333'), `arn:aws:iam::444455556666:role/other,${USER}`, ''],
    ['an account by its id', iamCaller(ROLE_SESSION, '111122223333'), '111122223333', ''],
    ['an account by its root ARN', iamCaller(USER, '111122223333'), 'arn:aws:iam::111122223333:root', ''],
    ['an organisation', iamCaller(ROLE_SESSION, '111122223333', 'o-a1b2c3d4e5'), '444455556666', 'o-a1b2c3d4e5'],
  ])('allows %s', (_, caller, principals, orgId) => {
    expect(() => checkCallerAllowed(caller, allowList(principals, orgId))).not.toThrow();
  });

  it.each<[string, Caller, string, string]>([
    [
      'a role of the same name in another account',
      iamCaller('arn:aws:sts::444455556666:assumed-role/orders-writer/s', '444455556666'),
      'arn:aws:iam::111122223333:role/orders-writer',
      '',
    ],
    [
      'another role of the account',
      iamCaller('arn:aws:sts::111122223333:assumed-role/orders-reader/s', '111122223333'),
      'arn:aws:iam::111122223333:role/orders-writer',
      '',
    ],
    ['a user of the same name under another path', iamCaller('arn:aws:iam::111122223333:user/alice', '111122223333'), USER, ''],
    ['another account', iamCaller(USER, '111122223333'), '444455556666', ''],
    ['another organisation', iamCaller(USER, '111122223333', 'o-zzzzzzzzzz'), '444455556666', 'o-a1b2c3d4e5'],
    ['an account in no organisation', iamCaller(USER, '111122223333'), '', 'o-a1b2c3d4e5'],
    ['a JWT caller (the list names IAM principals)', jwtCaller, '111122223333', 'o-a1b2c3d4e5'],
    ['the anonymous caller', ANONYMOUS_CALLER, '111122223333', ''],
  ])('refuses %s', (_, caller, principals, orgId) => {
    expect(() => checkCallerAllowed(caller, allowList(principals, orgId))).toThrow(new CallerNotAllowedError('this caller may not produce to this API'));
  });
});

describe('checkCallerAllowed: role sessions by partition and ARN shape', () => {
  it('allows a role session in another partition than aws when the list names the role there', () => {
    const caller = iamCaller('arn:aws-cn:sts::111122223333:assumed-role/orders-writer/s', '111122223333');
    expect(() => checkCallerAllowed(caller, allowList('arn:aws-cn:iam::111122223333:role/orders-writer'))).not.toThrow();
  });

  it.each<[string, string]>([
    ['a role of the same account and name in another partition', 'arn:aws-cn:sts::111122223333:assumed-role/orders-writer/s'],
    ['a session ARN with text before it', 'x-arn:aws:sts::111122223333:assumed-role/orders-writer/s'],
    ['a session ARN with more after the session name', 'arn:aws:sts::111122223333:assumed-role/orders-writer/s/more'],
  ])('refuses %s', (_, userArn) => {
    expect(() => checkCallerAllowed(iamCaller(userArn, '999988887777'), allowList('arn:aws:iam::111122223333:role/orders-writer'))).toThrow(
      CallerNotAllowedError,
    );
  });
});
