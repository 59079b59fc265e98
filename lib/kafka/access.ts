/**
 * Which kafkajs failures mean that Kafka refused this deployment's way of connecting, and
 * which setting the user should check for each. Table-driven and pure: a row matches what
 * kafkajs (or Node.js' TLS layer beneath it) reports, as seen against a real broker's SASL_SSL,
 * SSL and plaintext listeners (test/integration/kafka-auth/), and names the problem.
 *
 * None of these clears by kafkajs retrying the same settings, and each is reported within a
 * second or so: SASL refusals are not retried at all, TLS failures a few times with short waits.
 */
import { KafkaAuthMode, type KafkaConfig } from '../config';
import { KafkaAccessError } from '../errors';

/** What Kafka refused. */
export const KafkaAccessProblem = {
  /** Wrong password or unknown user (SCRAM), or a token the cluster refused (IAM). */
  Credentials: 'credentials',
  /** The listener does not offer the SASL mechanism `KAFKA_AUTH` chose. */
  Mechanism: 'mechanism',
  /** The broker's certificate does not chain to a CA the client trusts. */
  ServerCertificate: 'server-certificate',
  /** The broker refused the client's certificate, or wanted one and got none. */
  ClientCertificate: 'client-certificate',
  /** TLS spoken to a listener that does not speak it. */
  TlsToPlaintext: 'tls-to-plaintext',
  /** Plaintext spoken to a listener that expects TLS (or SASL first). */
  PlaintextToTls: 'plaintext-to-tls',
} as const;
export type KafkaAccessProblem = (typeof KafkaAccessProblem)[keyof typeof KafkaAccessProblem];

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** kafkajs wraps the error that ended its retries; every layer is looked at, innermost last. */
function layers(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  let current = error as ErrorLike | undefined;
  while (current !== undefined && current !== null && typeof current === 'object' && found.length < 6) {
    found.push(current);
    current = current.cause as ErrorLike | undefined;
  }
  return found;
}

/** Node.js' codes for a server certificate it could not verify (OpenSSL's X509 verify results). */
const UNTRUSTED_SERVER_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
]);

/**
 * TLS alerts a broker sends when it refuses the client's certificate: OpenSSL reports them as
 * `ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE` (42), `..._UNKNOWN_CA` (48), `..._CERTIFICATE_UNKNOWN`
 * (46) and, under TLS 1.3, `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED` (116).
 */
const CLIENT_CERTIFICATE_ALERT = /^ERR_SSL_.*ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_REQUIRED|UNSUPPORTED_CERTIFICATE)$/;

/** What Node.js says when the peer closes the socket in the middle of the TLS handshake. */
const CLOSED_DURING_HANDSHAKE = 'before secure TLS connection was established';

/**
 * The problem `error` shows, or undefined when it is not about access (a broker down, a
 * timeout, a protocol error of a request).
 *
 * @param ssl - whether the client spoke TLS (`KAFKA_SSL`): a connection closed before the first
 *   answer means a TLS listener only for a plaintext client.
 */
export function kafkaAccessProblem(error: unknown, ssl: boolean): KafkaAccessProblem | undefined {
  for (const layer of layers(error)) {
    const code = typeof layer.code === 'string' ? layer.code : '';
    const message = typeof layer.message === 'string' ? layer.message : '';
    if (layer.name === 'KafkaJSSASLAuthenticationError') return KafkaAccessProblem.Credentials;
    if (layer.type === 'UNSUPPORTED_SASL_MECHANISM' || layer.type === 'ILLEGAL_SASL_STATE') return KafkaAccessProblem.Mechanism;
    if (layer.type === 'SASL_AUTHENTICATION_FAILED') return KafkaAccessProblem.Credentials;
    if (UNTRUSTED_SERVER_CODES.has(code)) return KafkaAccessProblem.ServerCertificate;
    if (CLIENT_CERTIFICATE_ALERT.test(code)) return KafkaAccessProblem.ClientCertificate;
    if (ssl && (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || message.includes(CLOSED_DURING_HANDSHAKE))) return KafkaAccessProblem.TlsToPlaintext;
  }
  // A TLS listener drops a plaintext ApiVersions request without an answer, and so does a SASL
  // listener a request that did not authenticate first: every attempt ends "Closed connection".
  // A broker going away closes connections too, but its retries then end in a refused connect.
  const [outer, inner] = layers(error);
  if (!ssl && outer?.name === 'KafkaJSNumberOfRetriesExceeded' && inner?.name === 'KafkaJSConnectionClosedError') return KafkaAccessProblem.PlaintextToTls;
  return undefined;
}

/** The setting that holds what the cluster refused, as named in the configuration. */
function credentialsSetting(config: KafkaConfig): string {
  switch (config.auth) {
    case KafkaAuthMode.ScramSha512:
      return config.saslSecretArn !== undefined ? "KAFKA_SASL_SECRET_ARN (the secret's username and password)" : 'KAFKA_USERNAME and KAFKA_PASSWORD';
    case KafkaAuthMode.AwsIam:
      return "KAFKA_AUTH (aws-iam: the function role's kafka-cluster:Connect permission)";
    default:
      return 'KAFKA_AUTH';
  }
}

function clientCertificateSetting(config: KafkaConfig): string {
  if (config.auth !== KafkaAuthMode.Mtls) return 'KAFKA_AUTH (the listener requires a client certificate: mtls)';
  return config.clientCertSecretArn !== undefined
    ? "KAFKA_CLIENT_CERT_SECRET_ARN (the secret's certificate must chain to a CA the brokers trust)"
    : 'KAFKA_CLIENT_CERT_FILE and KAFKA_CLIENT_KEY_FILE';
}

function caSetting(config: KafkaConfig): string {
  if (config.caFile !== undefined) return 'KAFKA_CA_FILE';
  if (config.caSecretArn !== undefined) return 'KAFKA_CA_SECRET_ARN';
  return "KAFKA_CA_SECRET_ARN (or KAFKA_CA_FILE): the brokers' certificates are not signed by a public CA";
}

/** Each problem's sentence for the log, and the setting it names. */
const DESCRIPTIONS: Readonly<Record<KafkaAccessProblem, { detail: string; setting: (config: KafkaConfig) => string }>> = {
  [KafkaAccessProblem.Credentials]: { detail: 'Kafka refused the credentials (wrong password, unknown user or refused token)', setting: credentialsSetting },
  [KafkaAccessProblem.Mechanism]: { detail: 'the Kafka listener does not offer the configured SASL mechanism', setting: () => 'KAFKA_AUTH and KAFKA_BROKERS' },
  [KafkaAccessProblem.ServerCertificate]: { detail: "the Kafka broker's TLS certificate is not trusted", setting: caSetting },
  [KafkaAccessProblem.ClientCertificate]: { detail: "the Kafka broker refused the client's TLS certificate", setting: clientCertificateSetting },
  [KafkaAccessProblem.TlsToPlaintext]: {
    detail: 'the Kafka listener closed the connection during the TLS handshake: it does not speak TLS',
    setting: () => 'KAFKA_SSL and KAFKA_BROKERS (the port of a TLS listener)',
  },
  [KafkaAccessProblem.PlaintextToTls]: {
    detail: 'the Kafka listener closed a plaintext connection without answering: it expects TLS or SASL',
    setting: () => 'KAFKA_SSL, KAFKA_AUTH and KAFKA_BROKERS',
  },
};

/**
 * A {@link KafkaAccessError} for `error` naming the setting to check under `config`, or
 * undefined when `error` is not about access. The kafkajs error stays its `cause`; neither
 * carries a password or a key (kafkajs' SASL messages are the broker's, TLS ones OpenSSL's).
 */
export function kafkaAccessError(error: unknown, config: KafkaConfig): KafkaAccessError | undefined {
  if (error instanceof KafkaAccessError) return error;
  const problem = kafkaAccessProblem(error, config.ssl);
  if (problem === undefined) return undefined;
  const { detail, setting } = DESCRIPTIONS[problem];
  return new KafkaAccessError(problem, setting(config), detail, { cause: error });
}
