/**
 * The local broker's secure listeners (`npm run kafka -- start --secure` and the test harness):
 * a `SASL_SSL` listener with SCRAM-SHA-512 users and an `SSL` listener that requires client
 * certificates, beside the plaintext one, which stays as it is.
 *
 * Certificates are generated with openssl at start into the broker's throwaway folder: a CA the
 * clients are given, the broker's certificate (in a PKCS#12 keystore, as the JVM reads it) and a
 * client certificate for mutual TLS. Nothing here is a real secret, and nothing is committed.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The SCRAM mechanism of the SASL_SSL listener, as Amazon MSK offers it. */
const SCRAM_MECHANISM = 'SCRAM-SHA-512';

/** Certificates live two days: longer than any run, short enough to be worthless once it ended. */
const CERTIFICATE_DAYS = '2';

/** Ports of the secure listeners. */
export interface SecurePorts {
  saslSslPort: number;
  sslPort: number;
}

/** A certificate and its private key, as PEM files. */
export interface CertificateFiles {
  /** The certificate, PEM. */
  certPath: string;
  /** Its private key, PKCS#8 PEM, unencrypted. */
  keyPath: string;
}

/** Everything the secure listeners were started with, and what a client needs to use them. */
export interface KafkaSecurity extends SecurePorts {
  /** The CA that signed the broker's and the client's certificates, PEM. */
  caPath: string;
  /** The SCRAM-SHA-512 user created at start. */
  user: string;
  password: string;
  /** A client certificate the SSL listener accepts. */
  client: CertificateFiles;
  /** The broker's keystore (PKCS#12) and its password. */
  keystorePath: string;
  keystorePassword: string;
}

/** Raised when openssl is missing or fails; its message says what to do. */
export class KafkaSecurityError extends Error {}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error !== undefined) {
    throw new KafkaSecurityError(
      'openssl was not found: install it (Debian/Ubuntu: apt-get install openssl; macOS: brew install openssl) to start the secure listeners',
    );
  }
  if (result.status !== 0) throw new KafkaSecurityError(`openssl ${args[0]} failed:\n${result.stderr.trim()}`);
}

/** A random string safe in a properties file, a SCRAM credential and a command line. */
function throwawaySecret(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Creates a self-signed certificate authority in `dir` (`<name>.pem`, `<name>.key`).
 *
 * @throws {KafkaSecurityError} when openssl fails.
 */
export function createCertificateAuthority(dir: string, name: string): CertificateFiles {
  mkdirSync(dir, { recursive: true });
  const files = { certPath: join(dir, `${name}.pem`), keyPath: join(dir, `${name}.key`) };
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      files.keyPath,
      '-out',
      files.certPath,
      '-days',
      CERTIFICATE_DAYS,
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return files;
}

/**
 * Issues a certificate signed by `ca` in `dir` (`<name>.pem`, `<name>.key`): for a server
 * (valid for 127.0.0.1 and localhost, which clients verify) or a client (mutual TLS).
 *
 * @throws {KafkaSecurityError} when openssl fails.
 */
export function issueCertificate(dir: string, ca: CertificateFiles, name: string, use: 'server' | 'client'): CertificateFiles {
  const files = { certPath: join(dir, `${name}.pem`), keyPath: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const extensions = join(dir, `${name}.ext`);
  writeFileSync(
    extensions,
    use === 'server'
      ? 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'
      : 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n',
  );
  openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', files.keyPath, '-out', csr, '-subj', `/CN=${name}`],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.certPath,
      '-CAkey',
      ca.keyPath,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      CERTIFICATE_DAYS,
      '-extfile',
      extensions,
      '-out',
      files.certPath,
    ],
    dir,
  );
  return files;
}

/**
 * Generates the secure listeners' material in `dir`, or reads it back when an earlier start on
 * the same (persistent) folder made it: a broker restarted on its data keeps its CA and users,
 * so clients configured before the restart still connect.
 *
 * @throws {KafkaSecurityError} when openssl is missing or fails.
 */
export function prepareKafkaSecurity(dir: string, ports: SecurePorts): KafkaSecurity {
  const saved = join(dir, 'security.json');
  if (existsSync(saved)) return { ...(JSON.parse(readFileSync(saved, 'utf8')) as KafkaSecurity), ...ports };
  mkdirSync(dir, { recursive: true });
  const ca = createCertificateAuthority(dir, 'local-kafka-ca');
  const server = issueCertificate(dir, ca, 'localhost', 'server');
  const client = issueCertificate(dir, ca, 'pipeline-client', 'client');
  const keystorePassword = throwawaySecret();
  const keystorePath = join(dir, 'broker.p12');
  openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      server.certPath,
      '-inkey',
      server.keyPath,
      '-certfile',
      ca.certPath,
      '-name',
      'broker',
      '-out',
      keystorePath,
      '-passout',
      `pass:${keystorePassword}`,
    ],
    dir,
  );
  const security: KafkaSecurity = { ...ports, caPath: ca.certPath, user: 'pipeline', password: throwawaySecret(), client, keystorePath, keystorePassword };
  writeFileSync(saved, JSON.stringify(security));
  return security;
}

/** The listener names and protocols the secure broker adds to the plaintext one. */
export function secureListeners(security: SecurePorts): { listeners: string[]; protocols: string[] } {
  return {
    listeners: [`SASL_SSL://127.0.0.1:${security.saslSslPort}`, `SSL://127.0.0.1:${security.sslPort}`],
    protocols: ['SASL_SSL:SASL_SSL', 'SSL:SSL'],
  };
}

/**
 * The `server.properties` lines of the secure listeners: TLS with the broker's keystore on
 * both, the CA as truststore (which client certificates must chain to), SCRAM-SHA-512 on
 * SASL_SSL and required client certificates on SSL. No authorizer: an authenticated client
 * may do anything, as on the plaintext listener.
 */
export function securityProperties(security: KafkaSecurity): string[] {
  return [
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${security.keystorePath}`,
    `ssl.keystore.password=${security.keystorePassword}`,
    `ssl.key.password=${security.keystorePassword}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${security.caPath}`,
    `listener.name.sasl_ssl.sasl.enabled.mechanisms=${SCRAM_MECHANISM}`,
    `listener.name.sasl_ssl.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
    'listener.name.ssl.ssl.client.auth=required',
  ];
}

/**
 * The arguments of the storage tool's `format` that create the SCRAM user in the cluster's
 * first metadata (KIP-900), so that it exists before the broker accepts a connection.
 */
export function scramFormatArguments(security: KafkaSecurity): string[] {
  return ['--add-scram', `${SCRAM_MECHANISM}=[name=${security.user},password=${security.password}]`];
}

/** The line `--secure` announces (CONTRACT: `npm run kafka -- start --secure`). */
export function secureLine(security: KafkaSecurity): string {
  return [
    'secure',
    `sasl_ssl=127.0.0.1:${security.saslSslPort}`,
    `ssl=127.0.0.1:${security.sslPort}`,
    `ca=${security.caPath}`,
    `user=${security.user}`,
    `password=${security.password}`,
    `client_cert=${security.client.certPath}`,
    `client_key=${security.client.keyPath}`,
  ].join(' ');
}

/**
 * Sets a SCRAM-SHA-512 user's password on a running broker (creating the user if new) with
 * Kafka's own `kafka-configs` tool (the AlterUserScramCredentials API), over the plaintext
 * listener `bootstrap`. Tests use it to change a password under a running client.
 *
 * @param libs - the broker's jar folder ({@link ensureKafkaJars}).
 * @throws {KafkaSecurityError} when the tool fails.
 */
export function setScramPassword(libs: string, bootstrap: string, user: string, password: string): void {
  const result = spawnSync(
    'java',
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      '-cp',
      join(libs, '*'),
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      bootstrap,
      '--alter',
      '--add-config',
      `${SCRAM_MECHANISM}=[iterations=4096,password=${password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      user,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new KafkaSecurityError(
      `kafka-configs could not set the SCRAM password of ${user}:\n${`${result.stdout}${result.stderr}`.trim().split('\n').slice(-5).join('\n')}`,
    );
}
