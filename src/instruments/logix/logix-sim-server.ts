import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Clock } from '../../core/clock.ts';
import type { SimulatorServer } from '../../sim/simulator.ts';
import { SimulatorSockets } from '../../sim/simulator-sockets.ts';
import { enipFormat, LengthPrefixedFramer } from '../../transports/length-prefixed-framer.ts';
import {
  CpfItemTypes,
  connectedItems,
  decodeConnectedItems,
  decodeEncap,
  decodeRegisterSession,
  decodeSendData,
  ENIP_PORT,
  EncapCommands,
  type EncapPacket,
  EncapStatus,
  encodeEncap,
  encodeListIdentityItem,
  encodeRegisterSession,
  encodeSendData,
  unconnectedItems,
} from './enip-encapsulation.ts';
import type { LogixController } from './logix-controller.ts';

/** Faults a test switches on: silence (requests read, never answered) or a dropped connection on the next request. */
export type LogixSimFault = { kind: 'none' } | { kind: 'silent' } | { kind: 'disconnect' };

/**
 * A simulated ControlLogix on TCP 44818: EtherNet/IP sessions, unconnected (SendRRData) and
 * connected (SendUnitData) messaging to a LogixController. st-ethernet-ip and ethernet-ip parse
 * exactly one encapsulation packet per `data` event, so each reply is one socket write of one
 * packet, and requests of one connection are answered one at a time, the next only after the
 * previous reply was handed to the kernel. (TCP may still merge two replies a client has not
 * read yet; only a client that pipelines requests could see that, and neither npm client does.)
 */
export class LogixSimServer implements SimulatorServer {
  readonly type = 'LogixPlc';
  readonly controller: LogixController;
  private readonly clock: Clock;
  private readonly tcp = new SimulatorSockets((socket) => this.accept(socket));
  private fault: LogixSimFault = { kind: 'none' };
  /** Encapsulation commands received, for tests that check what went over the wire. */
  readonly received: number[] = [];
  /** The last replies as written, one buffer per socket write (tests check each is one packet). */
  readonly replyWrites: Buffer[] = [];
  /** Connected requests that named a connection the controller does not have (dropped silently). */
  staleConnectedRequests = 0;

  private readonly portForZero: number;
  private readonly loopbackAlias: string | undefined;

  /**
   * `portForZero` is what `listen(0)` binds: 44818 by default, because the npm clients cannot
   * connect anywhere else; a test that talks through its own socket passes 0 for an ephemeral port.
   */
  constructor(
    controller: LogixController,
    clock: Clock,
    options: { portForZero?: number; loopbackAlias?: string } = {},
  ) {
    this.controller = controller;
    this.clock = clock;
    this.portForZero = options.portForZero ?? ENIP_PORT;
    this.loopbackAlias = options.loopbackAlias;
  }

  setFault(fault: LogixSimFault): void {
    this.fault = fault;
  }

  get connections(): number {
    return this.tcp.connections;
  }

  get address(): { host: string; port: number } | null {
    return this.tcp.address;
  }

  /**
   * With a `loopbackAlias`, a request for 127.0.0.1 binds that 127/8 address instead, so several
   * simulated PLCs share port 44818 (the whole of 127/8 reaches lo on Linux). Should that address
   * be taken (two instrument ids hashing alike), the next ones are tried.
   */
  async listen(port: number, requestedHost: string): Promise<{ host: string; port: number }> {
    const bindPort = port === 0 ? this.portForZero : port;
    if (requestedHost !== '127.0.0.1' || !this.loopbackAlias) return this.bind(bindPort, requestedHost);
    const [a, b, c, d] = this.loopbackAlias.split('.').map(Number) as [number, number, number, number];
    for (let step = 0; ; step++) {
      const host = `${a}.${b}.${c}.${10 + ((d - 10 + step) % 240)}`;
      try {
        return await this.bind(bindPort, host);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || step >= 239) throw error;
      }
    }
  }

  private bind(port: number, host: string): Promise<{ host: string; port: number }> {
    return this.tcp.listen(port, host);
  }

  /** Drops every client connection (a cable pulled) but keeps listening. */
  dropConnections(): void {
    this.tcp.dropConnections();
    this.controller.dropConnections();
  }

  /**
   * What a program download does to a running controller: program mode for `durationMs`, every
   * CIP connection dropped (connected requests on the old ids go unanswered, as st-ethernet-ip
   * issues #56 and #63 describe) and the symbol table rebuilt with new instance ids. TCP
   * sessions stay up, so only a client that reconnects from scratch recovers.
   */
  simulateProgramDownload(durationMs: number): void {
    this.controller.programMode = true;
    this.controller.dropConnections();
    this.controller.db.renumber(1000 + randomInt(1000));
    this.clock.setTimeout(() => {
      this.controller.programMode = false;
    }, durationMs);
  }

  close(): Promise<void> {
    return this.tcp.close();
  }

  private accept(socket: Socket): void {
    const session = { id: 0 };
    const queue: Buffer[] = [];
    let busy = false;
    const next = () => {
      if (busy) return;
      const frame = queue.shift();
      if (!frame) return;
      busy = true;
      let reply: Buffer | null;
      try {
        reply = this.onFrame(socket, session, frame);
      } catch {
        // Items that do not parse: the encapsulation layer's "incorrect data" status.
        reply = encodeEncap({
          command: frame.readUInt16LE(0),
          session: session.id,
          status: EncapStatus.BadData,
        });
      }
      if (reply === null || socket.destroyed) {
        busy = false;
        next();
        return;
      }
      this.replyWrites.push(reply);
      if (this.replyWrites.length > 200) this.replyWrites.splice(0, 100);
      socket.write(reply, () => {
        busy = false;
        // Let the client's data event for this reply fire before the next reply can follow it.
        setImmediate(next);
      });
    };
    const framer = new LengthPrefixedFramer(enipFormat, (frame) => {
      queue.push(frame);
      next();
    });
    socket.on('data', (chunk) => {
      try {
        framer.push(chunk);
      } catch {
        socket.destroy();
      }
    });
  }

  /** One encapsulation packet in, at most one out. */
  private onFrame(socket: Socket, session: { id: number }, frame: Buffer): Buffer | null {
    const packet = decodeEncap(frame);
    this.received.push(packet.command);
    if (this.received.length > 1000) this.received.splice(0, 500);
    if (this.fault.kind === 'disconnect') {
      socket.destroy();
      return null;
    }
    if (this.fault.kind === 'silent') return null;
    const reply = (data: Buffer, status: number = EncapStatus.Success, sessionId = packet.session) =>
      encodeEncap({ ...packet, session: sessionId, status, data });
    switch (packet.command) {
      case EncapCommands.Nop:
        return null;
      case EncapCommands.ListIdentity:
        return reply(this.listIdentity(socket));
      case EncapCommands.RegisterSession: {
        const { version } = decodeRegisterSession(packet.data);
        if (version !== 1) return reply(packet.data, EncapStatus.UnsupportedVersion);
        session.id = session.id || randomInt(1, 0x7fffffff);
        return reply(encodeRegisterSession(1, 0), EncapStatus.Success, session.id);
      }
      case EncapCommands.UnRegisterSession:
        session.id = 0;
        socket.end();
        return null;
      case EncapCommands.SendRRData:
      case EncapCommands.SendUnitData:
        if (session.id === 0 || packet.session !== session.id) {
          return reply(Buffer.alloc(0), EncapStatus.InvalidSession);
        }
        return this.sendData(packet, reply);
      default:
        return reply(Buffer.alloc(0), EncapStatus.InvalidCommand);
    }
  }

  private sendData(packet: EncapPacket, reply: (data: Buffer, status?: number) => Buffer): Buffer | null {
    const { items } = decodeSendData(packet.data);
    if (packet.command === EncapCommands.SendRRData) {
      const ucmm = items.find((i) => i.type === CpfItemTypes.UnconnectedData);
      if (!ucmm) return reply(Buffer.alloc(0), EncapStatus.BadData);
      return reply(encodeSendData(unconnectedItems(this.controller.handle(ucmm.data))));
    }
    const { connectionId, sequence, message } = decodeConnectedItems(items);
    const connection = this.controller.connection(connectionId);
    if (!connection) {
      // A controller drops class 3 traffic for a connection it does not have: no reply at all.
      this.staleConnectedRequests++;
      return null;
    }
    const answer = this.controller.handle(message);
    return reply(encodeSendData(connectedItems(connection.toConnectionId, sequence, answer)));
  }

  private listIdentity(socket: Socket): Buffer {
    const id = this.controller.options.identity;
    const item = encodeListIdentityItem({
      encapsulationVersion: 1,
      address: socket.localAddress?.replace(/^::ffff:/, '') ?? '0.0.0.0',
      port: ENIP_PORT,
      vendorId: id.vendorId,
      deviceType: id.deviceType,
      productCode: id.productCode,
      revision: id.revision,
      status: this.controller.programMode ? 0x0070 : 0x0060,
      serialNumber: id.serialNumber,
      productName: id.productName,
      state: 3,
    });
    const count = Buffer.alloc(2);
    count.writeUInt16LE(1, 0);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(CpfItemTypes.ListIdentity, 0);
    head.writeUInt16LE(item.length, 2);
    return Buffer.concat([count, head, item]);
  }
}
