/**
 * A stand-in for the Secrets Manager endpoint, answering GetSecretValue as the service does,
 * for the function bundles run as Lambda runs them (the deploy test, the bench's cold starts):
 * they read the caller keys, and SCRAM credentials, through the real SDK, and
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` points them here. Nothing else: there is no Secrets
 * Manager locally, and `npm start` does not need one.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in received. */
export interface SecretRequest {
  target: string | undefined;
  secretId: string | undefined;
  /** Signed with SigV4 by the offline credentials the environment gives. */
  signed: boolean;
}

/** A running stand-in. */
export interface SecretsStandIn {
  /** The environment that sends a bundle's Secrets Manager requests here. */
  env: Record<string, string>;
  requests: SecretRequest[];
  close(): Promise<void>;
}

/** Serves `secrets` (ARN to secret string); any other id gets Secrets Manager's not-found error. */
export async function startSecretsStandIn(secrets: Record<string, string>): Promise<SecretsStandIn> {
  const requests: SecretRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const secretId = (JSON.parse(body || '{}') as { SecretId?: string }).SecretId;
      requests.push({
        target: request.headers['x-amz-target'] as string | undefined,
        secretId,
        signed: String(request.headers.authorization).startsWith('AWS4-HMAC-SHA256 Credential=offline/'),
      });
      const value = secretId === undefined ? undefined : secrets[secretId];
      if (value === undefined) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ ARN: secretId, Name: 'stand-in', SecretString: value }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    env: {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'offline',
      AWS_SECRET_ACCESS_KEY: 'offline',
    },
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
