import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { KafkaBrokerError, startKafkaBroker } from '../../local/kafka-broker';
import { freePort } from '../../local/ports';
import { silentLogger } from '../../lib/logger';
import { testBrokers } from '../helpers/infra';

describe('local Kafka broker manager', () => {
  it('reuses a Kafka broker already listening on the port when asked to', async () => {
    const port = Number(testBrokers()[0]?.split(':')[1]);
    const broker = await startKafkaBroker({ port, controllerPort: await freePort(), logger: silentLogger, reuseRunning: true });
    expect(broker).toMatchObject({ reused: true, brokers: [`127.0.0.1:${port}`] });
    await broker.stop(); // a no-op for a reused broker
  });

  it('fails with a clear message when the port is held by something that is not Kafka', async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const attempt = startKafkaBroker({ port, controllerPort: await freePort(), logger: silentLogger, reuseRunning: true });
      await expect(attempt).rejects.toBeInstanceOf(KafkaBrokerError);
      await expect(attempt).rejects.toThrow(`port ${port} is already in use by something that is not a Kafka broker`);
    } finally {
      server.close();
    }
  });
});
