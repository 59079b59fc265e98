/**
 * Signs Amazon MSK IAM authentication tokens with the official AWS signer
 * (https://github.com/aws/aws-msk-iam-sasl-signer-js). Its own module so that
 * `lib/kafka/auth.ts` can load it on demand: a CommonJS package imported dynamically from
 * a bundle exposes only a default export, while a static import here keeps the named one.
 */
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { IamToken } from './auth';

/**
 * Signs a token for `region` with the container's AWS credentials (the default provider
 * chain: the function role's credentials in Lambda). Signing is local; no AWS call is made.
 */
export async function signMskIamToken(region: string): Promise<IamToken> {
  const { token, expiryTime } = await generateAuthToken({ region });
  return { token, expiresAtMs: expiryTime };
}
