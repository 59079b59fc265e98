import { describe, expect, it } from 'vitest';
import { scramFormatArguments, secureLine, secureListeners, securityProperties, type KafkaSecurity } from '../../../local/kafka-security';

const SECURITY: KafkaSecurity = {
  saslSslPort: 19094,
  sslPort: 19095,
  caPath: '/tmp/k/security/local-kafka-ca.pem',
  user: 'pipeline',
  password: 'pw-1',
  client: { certPath: '/tmp/k/security/pipeline-client.pem', keyPath: '/tmp/k/security/pipeline-client.key' },
  keystorePath: '/tmp/k/security/broker.p12',
  keystorePassword: 'ks-1',
};

describe('the secure listeners of the local broker', () => {
  it('adds SASL_SSL and SSL listeners on loopback beside the plaintext one', () => {
    expect(secureListeners(SECURITY)).toEqual({
      listeners: ['SASL_SSL://127.0.0.1:19094', 'SSL://127.0.0.1:19095'],
      protocols: ['SASL_SSL:SASL_SSL', 'SSL:SSL'],
    });
  });

  it('configures TLS with the keystore and the CA, SCRAM-SHA-512 on SASL_SSL and required client certificates on SSL', () => {
    expect(securityProperties(SECURITY)).toEqual([
      'ssl.keystore.type=PKCS12',
      'ssl.keystore.location=/tmp/k/security/broker.p12',
      'ssl.keystore.password=ks-1',
      'ssl.key.password=ks-1',
      'ssl.truststore.type=PEM',
      'ssl.truststore.location=/tmp/k/security/local-kafka-ca.pem',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.ssl.ssl.client.auth=required',
    ]);
  });

  it('creates the SCRAM user when the storage is formatted', () => {
    expect(scramFormatArguments(SECURITY)).toEqual(['--add-scram', 'SCRAM-SHA-512=[name=pipeline,password=pw-1]']);
  });

  it('announces the listeners and credentials in the one line of the contract', () => {
    expect(secureLine(SECURITY)).toBe(
      'secure sasl_ssl=127.0.0.1:19094 ssl=127.0.0.1:19095 ca=/tmp/k/security/local-kafka-ca.pem user=pipeline password=pw-1 client_cert=/tmp/k/security/pipeline-client.pem client_key=/tmp/k/security/pipeline-client.key',
    );
  });
});
