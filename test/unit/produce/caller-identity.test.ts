/** Which identity a request context gives, at the edges of what an authorizer may send. */
import { describe, expect, it } from 'vitest';
import { callerOf, type AuthorizerContext } from '../../../lib/produce/caller';

describe('callerOf at the edges', () => {
  it.each<[string, AuthorizerContext, string]>([
    [
      'an empty user ARN, falling back to the account and caller id',
      { authorizer: { iam: { userArn: '', accountId: '123456789012', callerId: 'AIDAEXAMPLE' } } },
      'iam:123456789012:AIDAEXAMPLE',
    ],
    ['an account id without a caller id', { authorizer: { iam: { accountId: '123456789012' } } }, 'anonymous'],
    ['a caller id without an account id', { authorizer: { iam: { callerId: 'AIDAEXAMPLE' } } }, 'anonymous'],
    ['a null IAM context', { authorizer: { iam: null } }, 'anonymous'],
    ['null JWT claims', { authorizer: { jwt: { claims: null } } }, 'anonymous'],
    ['an empty JWT subject', { authorizer: { jwt: { claims: { iss: 'https://issuer.example', sub: '' } } } }, 'anonymous'],
  ])('%s', (_, context, identity) => {
    expect(callerOf(context).identity).toBe(identity);
  });
});
