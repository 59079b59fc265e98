/**
 * A TCP forwarder on loopback that a test closes and opens again on the same port: to its
 * clients the service behind it goes away (connections refused, open ones cut) and comes back,
 * while the service itself keeps its state.
 */
import net from 'node:net';

/** A running gate. */
export interface TcpGate {
  port: number;
  /** Stops accepting and cuts every open connection. */
  close(): Promise<void>;
  /** Accepts again on the same port. */
  open(): Promise<void>;
}

/** Starts a gate forwarding a free loopback port to `target`. */
export async function startTcpGate(target: { host: string; port: number }): Promise<TcpGate> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      }),
    open: () => listen(port),
  };
}
