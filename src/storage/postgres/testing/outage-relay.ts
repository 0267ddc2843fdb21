import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP relay to PostgreSQL that can be taken down (every connection refused and cut) and
 * brought back on the same port: a database outage as the store sees it.
 */
export async function outageRelay(target: { host: string; port: number }) {
  let down = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    const forget = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    takeDown() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    bringBack() {
      down = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
