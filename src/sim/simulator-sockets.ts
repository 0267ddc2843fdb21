import { createServer, type Server, type Socket } from 'node:net';

/**
 * The TCP side every wire simulator shares: listens, keeps its client sockets (so a test can
 * pull every cable at once and the server can close), and hands each new connection to the
 * simulator's protocol. Nagle is off: replies go out as the instrument would send them.
 */
export class SimulatorSockets {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly serve: (socket: Socket) => void;
  /** Where it listens (or last listened), so a test can bring it back on the same port. */
  address: { host: string; port: number } | null = null;

  constructor(serve: (socket: Socket) => void) {
    this.serve = serve;
  }

  get connections(): number {
    return this.sockets.size;
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    const server = createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.server = server;
        const address = server.address();
        this.address = { host, port: typeof address === 'object' && address ? address.port : port };
        resolve(this.address);
      });
    });
  }

  /** Drops every client connection (a cable pulled) but keeps listening. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.dropConnections();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    this.serve(socket);
  }
}
