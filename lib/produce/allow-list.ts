/**
 * Who may produce, checked in the function on top of API Gateway's authorizer: with the IAM
 * authorizer, any principal that holds `execute-api:Invoke` on the route gets through, which
 * in a large account or organisation is more than should write to the topics. The optional
 * allow-list (`PRODUCE_ALLOWED_PRINCIPALS`, `PRODUCE_ALLOWED_ORG_ID`) narrows that to named
 * accounts, users, roles or one organisation.
 */
import type { AllowedPrincipal, CallerAllowList } from '../config';
import { CallerNotAllowedError } from '../errors';
import type { Caller, IamPrincipal } from './caller';

/**
 * The account and role name of a role session's ARN,
 * `arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>`; undefined for another ARN.
 */
function assumedRole(userArn: string): { partition: string; accountId: string; roleName: string } | undefined {
  const match = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(userArn);
  if (match === null) return undefined;
  // Stryker disable next-line StringLiteral: the three groups always take part in a match, so the defaults are never used (they are for the type checker).
  const [, partition = '', accountId = '', roleName = ''] = match;
  return { partition, accountId, roleName };
}

function matches(entry: AllowedPrincipal, principal: IamPrincipal): boolean {
  switch (entry.kind) {
    case 'account':
      return principal.accountId === entry.accountId;
    case 'user':
      return principal.userArn === entry.arn;
    case 'role': {
      // Stryker disable next-line ConditionalExpression: the pattern finds no role session in `undefined` either; the check only narrows the type.
      const session = principal.userArn === undefined ? undefined : assumedRole(principal.userArn);
      return session !== undefined && session.partition === entry.partition && session.accountId === entry.accountId && session.roleName === entry.roleName;
    }
  }
}

/**
 * Whether `caller` may produce under `allowList`: every caller when there is none; otherwise
 * an IAM caller whose principal matches an entry, or whose account is in the organisation.
 * Callers that are not IAM principals (JWT, anonymous) never match a list of IAM principals,
 * so a list set by mistake on a JWT stage refuses everyone rather than no one.
 *
 * @throws {CallerNotAllowedError} when it may not.
 */
export function checkCallerAllowed(caller: Caller, allowList: CallerAllowList | undefined): void {
  if (allowList === undefined) return;
  const principal = caller.principal;
  if (principal !== undefined) {
    if (allowList.orgId !== undefined && principal.principalOrgId === allowList.orgId) return;
    if (allowList.principals.some((entry) => matches(entry, principal))) return;
  }
  throw new CallerNotAllowedError('this caller may not produce to this API');
}
