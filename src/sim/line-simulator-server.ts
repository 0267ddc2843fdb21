import type { Socket } from 'node:net';
import { LineFramer, type Terminator } from '../transports/line-framer.ts';
import type { SimulatorServer } from './simulator.ts';
import { SimulatorSockets } from './simulator-sockets.ts';

/**
 * One client connection, for protocols that also send lines later on their own (a vision
 * system's result line after its processing time). Lines sent here go through the same
 * framing and faults as replies.
 */
export interface LineSession {
  send(lines: string | string[]): void;
  /** False once the client has gone: a line sent then is dropped. */
  readonly open: boolean;
}

/** The instrument side of a line protocol: one instance per simulated device. */
export interface LineProtocol {
  /** Returns the reply lines for one received line (none for setters). */
  handle(line: string, session?: LineSession): string | string[] | undefined;
  /** Called when a client connects; e.g. a power-on banner or resetting echo state. */
  connected?(): string[] | undefined;
}

/**
 * Faults a test can switch on to prove drivers cope: no reply, garbage, a truncated reply,
 * a late reply, or dropping the connection when the next command arrives.
 */
export type SimulatorFault =
  | { kind: 'none' }
  | { kind: 'silent' }
  | { kind: 'garbage' }
  | { kind: 'truncate' }
  | { kind: 'delay'; ms: number }
  | { kind: 'disconnect' };

/** Hosts a LineProtocol on a TCP port, framing lines both ways like the real device. */
export class LineSimulatorServer implements SimulatorServer {
  readonly type: string;
  private readonly protocol: LineProtocol;
  private readonly readTerminator: Terminator;
  private readonly replyTerminator: string;
  private readonly tcp = new SimulatorSockets((socket) => this.accept(socket));
  private fault: SimulatorFault = { kind: 'none' };
  /** Lines received, for tests that check what went over the wire. */
  readonly received: string[] = [];

  constructor(
    type: string,
    protocol: LineProtocol,
    options: { readTerminator: Terminator; replyTerminator: string },
  ) {
    this.type = type;
    this.protocol = protocol;
    this.readTerminator = options.readTerminator;
    this.replyTerminator = options.replyTerminator;
  }

  setFault(fault: SimulatorFault): void {
    this.fault = fault;
  }

  get connections(): number {
    return this.tcp.connections;
  }

  /** Where it listens (or last listened), so a test can bring it back on the same port. */
  get address(): { host: string; port: number } | null {
    return this.tcp.address;
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    return this.tcp.listen(port, host);
  }

  /** Drops every client connection (a cable pulled) but keeps listening. */
  dropConnections(): void {
    this.tcp.dropConnections();
  }

  close(): Promise<void> {
    return this.tcp.close();
  }

  private accept(socket: Socket): void {
    const banner = this.protocol.connected?.();
    if (banner) for (const line of banner) socket.write(line + this.replyTerminator);
    const session: LineSession = {
      send: (lines) => this.send(socket, Array.isArray(lines) ? lines : [lines]),
      get open() {
        return !socket.destroyed;
      },
    };
    const framer = new LineFramer(this.readTerminator, (line) => this.onLine(socket, session, line));
    socket.on('data', (chunk) => {
      try {
        framer.push(chunk);
      } catch {
        socket.destroy();
      }
    });
  }

  private onLine(socket: Socket, session: LineSession, line: string): void {
    this.received.push(line);
    if (this.received.length > 1000) this.received.splice(0, 500);
    if (this.fault.kind === 'disconnect') {
      socket.destroy();
      return;
    }
    const reply = this.protocol.handle(line, session);
    if (reply !== undefined) this.send(socket, Array.isArray(reply) ? reply : [reply]);
  }

  /** Writes lines to one client, as the current fault allows. */
  private send(socket: Socket, lines: string[]): void {
    const fault = this.fault;
    if (socket.destroyed || fault.kind === 'silent') return;
    let text = lines.map((l) => l + this.replyTerminator).join('');
    if (fault.kind === 'garbage') text = `\u0000\u00ff#@!${'\u00fe'.repeat(8)}${this.replyTerminator}`;
    if (fault.kind === 'truncate') text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    const bytes = Buffer.from(text, 'latin1');
    if (fault.kind === 'delay') setTimeout(() => socket.writable && socket.write(bytes), fault.ms);
    else socket.write(bytes);
  }
}
