/**
 * The door to AWS Secrets Manager: the only code that imports its client. Loaded lazily by
 * `lib/kafka/auth.ts`, so functions that never read a secret never load the client.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Reads a secret's string value. The value is returned to the caller only and never logged.
 *
 * @throws the SDK's error when the secret cannot be read, or Error when it has no string value.
 */
export async function readSecretString(secretArn: string, region: string): Promise<string> {
  const client = new SecretsManagerClient({ region, maxAttempts: 3 });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (SecretString === undefined) throw new Error('the secret has no string value (binary secrets are not supported)');
    return SecretString;
  } finally {
    client.destroy();
  }
}
