import { createServer, type Server, type Socket } from 'node:net';
import type { LineProtocol, SimulatorFault } from '../../../sim/line-simulator-server.ts';
import type { SimulatorServer } from '../../../sim/simulator.ts';
import { AcceptStat, decodeCall, encodeAcceptedReply, type RpcCall } from './onc-rpc.ts';
import { Portmapper } from './portmapper.ts';
import { encodeRecord, RecordDecoder } from './record-marking.ts';
import {
  decodeCreateLinkParms,
  decodeDeviceReadParms,
  decodeDeviceWriteParms,
  decodeGenericParms,
  encodeCreateLinkResp,
  encodeError,
  encodeReadResp,
  encodeWriteResp,
  OpFlag,
  ReadReason,
  Vxi11,
} from './vxi11-protocol.ts';
import { XdrError, XdrWriter } from './xdr.ts';

interface DeviceLink {
  /** Bytes written but not yet a complete message. */
  input: string;
  /** Response messages waiting to be read, each with its terminator. */
  output: Buffer[];
}

type Handler = (call: RpcCall, socket: Socket) => Buffer | null | Promise<Buffer | null>;

/**
 * A VXI-11 instrument on loopback: a portmapper (on the port given to `listen`, normally
 * 111, any free port in tests) that points at a core channel serving the same LineProtocol
 * the raw-socket simulator hosts. Messages end at END or a newline; replies carry END.
 */
export class Vxi11SimulatorServer implements SimulatorServer {
  readonly type: string;
  /** Program messages handed to the protocol, for tests that check what reached the device. */
  readonly received: string[] = [];
  private readonly protocol: LineProtocol;
  private readonly maxRecvSize: number;
  private readonly replyTerminator: string;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly links = new Map<number, DeviceLink & { socket: Socket }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextLid = 1;
  private fault: SimulatorFault = { kind: 'none' };
  private core = 0;
  /** RPC calls answered, by procedure number (portmapper and core channel together). */
  readonly calls: number[] = [];

  constructor(
    type: string,
    protocol: LineProtocol,
    options: { maxRecvSize?: number; replyTerminator?: string } = {},
  ) {
    this.type = type;
    this.protocol = protocol;
    this.maxRecvSize = options.maxRecvSize ?? 4096;
    this.replyTerminator = options.replyTerminator ?? '\n';
  }

  /** Port of the core channel (what the portmapper hands out). */
  get corePort(): number {
    return this.core;
  }

  get linkCount(): number {
    return this.links.size;
  }

  setFault(fault: SimulatorFault): void {
    this.fault = fault;
  }

  /** Listens: the portmapper on `port` (0 = any), the core channel on a free port. */
  async listen(port: number, host: string): Promise<{ host: string; port: number }> {
    this.core = await this.serve(0, host, (call, socket) => this.coreCall(call, socket));
    const portmapper = await this.serve(port, host, (call) => this.portmapperCall(call));
    return { host, port: portmapper };
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.links.clear();
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.dropConnections();
    const servers = this.servers.splice(0);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  private serve(port: number, host: string, handler: Handler): Promise<number> {
    const server = createServer((socket) => this.accept(socket, handler));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  private accept(socket: Socket, handler: Handler): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const [lid, link] of this.links) if (link.socket === socket) this.links.delete(lid);
    });
    // A simulator bug must cost the client its connection, not take the whole process down.
    const decoder = new RecordDecoder((record) =>
      this.onRecord(socket, record, handler).catch(() => socket.destroy()),
    );
    socket.on('data', (chunk) => {
      try {
        decoder.push(chunk);
      } catch {
        socket.destroy();
      }
    });
  }

  private async onRecord(socket: Socket, record: Buffer, handler: Handler): Promise<void> {
    let call: RpcCall | null;
    try {
      call = decodeCall(record);
    } catch {
      call = null;
    }
    if (!call) {
      socket.destroy();
      return;
    }
    const fault = this.fault;
    if (fault.kind === 'disconnect') {
      socket.destroy();
      return;
    }
    let reply: Buffer | null;
    try {
      reply = await handler(call, socket);
    } catch (error) {
      if (!(error instanceof XdrError)) throw error;
      reply = encodeAcceptedReply(call.xid, AcceptStat.GARBAGE_ARGS);
    }
    if (reply === null || fault.kind === 'silent' || socket.destroyed) return;
    this.calls.push(call.proc);
    let bytes = encodeRecord(reply);
    if (fault.kind === 'garbage') bytes = Buffer.from('\u0000\u00ff#@!garbage\u00fe\u00fe', 'latin1');
    if (fault.kind === 'truncate') bytes = bytes.subarray(0, Math.max(1, bytes.length >> 1));
    if (fault.kind === 'delay') this.later(fault.ms, () => socket.writable && socket.write(bytes));
    else socket.write(bytes);
  }

  private portmapperCall(call: RpcCall): Buffer {
    if (call.prog !== Portmapper.PROG) return encodeAcceptedReply(call.xid, AcceptStat.PROG_UNAVAIL);
    if (call.vers !== Portmapper.VERS)
      return encodeAcceptedReply(call.xid, AcceptStat.PROG_MISMATCH, undefined, { low: 2, high: 2 });
    if (call.proc === Portmapper.PROC_NULL) return encodeAcceptedReply(call.xid, AcceptStat.SUCCESS);
    if (call.proc !== Portmapper.PROC_GETPORT) return encodeAcceptedReply(call.xid, AcceptStat.PROC_UNAVAIL);
    const r = call.args;
    const [prog, vers, protocol] = [r.uint(), r.uint(), r.uint()];
    r.uint();
    const known = prog === Vxi11.CORE_PROG && vers === Vxi11.CORE_VERS && protocol === Portmapper.IPPROTO_TCP;
    return encodeAcceptedReply(
      call.xid,
      AcceptStat.SUCCESS,
      new XdrWriter().uint(known ? this.core : 0).toBuffer(),
    );
  }

  private coreCall(call: RpcCall, socket: Socket): Buffer | Promise<Buffer> {
    const ok = (results: Buffer) => encodeAcceptedReply(call.xid, AcceptStat.SUCCESS, results);
    if (call.prog !== Vxi11.CORE_PROG) return encodeAcceptedReply(call.xid, AcceptStat.PROG_UNAVAIL);
    if (call.vers !== Vxi11.CORE_VERS)
      return encodeAcceptedReply(call.xid, AcceptStat.PROG_MISMATCH, undefined, { low: 1, high: 1 });
    const r = call.args;
    switch (call.proc) {
      case Vxi11.CREATE_LINK: {
        const p = decodeCreateLinkParms(r);
        if (!/^inst\d+$/i.test(p.device))
          return ok(encodeCreateLinkResp({ error: 21, lid: 0, abortPort: 0, maxRecvSize: 0 }));
        const lid = this.nextLid++;
        this.links.set(lid, { input: '', output: [], socket });
        return ok(encodeCreateLinkResp({ error: 0, lid, abortPort: 0, maxRecvSize: this.maxRecvSize }));
      }
      case Vxi11.DEVICE_WRITE: {
        const p = decodeDeviceWriteParms(r);
        const link = this.links.get(p.lid);
        if (!link) return ok(encodeWriteResp(4, 0));
        if (p.data.length > this.maxRecvSize) return ok(encodeWriteResp(5, 0));
        link.input += p.data.toString('latin1');
        this.process(link, (p.flags & OpFlag.END) !== 0);
        return ok(encodeWriteResp(0, p.data.length));
      }
      case Vxi11.DEVICE_READ: {
        const p = decodeDeviceReadParms(r);
        const link = this.links.get(p.lid);
        if (!link) return ok(encodeReadResp(4, 0, Buffer.alloc(0)));
        if (link.output.length === 0) {
          // Nothing to say: like a real device, answer "I/O timeout" once io_timeout has passed.
          return new Promise((resolve) =>
            this.later(p.ioTimeout, () => resolve(ok(encodeReadResp(15, 0, Buffer.alloc(0))))),
          );
        }
        return ok(
          this.readFrom(link, p.requestSize, (p.flags & OpFlag.TERMCHRSET) !== 0 ? p.termChar : null),
        );
      }
      case Vxi11.DEVICE_READSTB: {
        const p = decodeGenericParms(r);
        if (!this.links.has(p.lid)) return ok(new XdrWriter().int(4).uint(0).toBuffer());
        const stb = Number(this.protocol.handle('*STB?') ?? 0) & 0xff;
        return ok(new XdrWriter().int(0).uint(stb).toBuffer());
      }
      case Vxi11.DEVICE_CLEAR: {
        const p = decodeGenericParms(r);
        const link = this.links.get(p.lid);
        if (!link) return ok(encodeError(4));
        link.input = '';
        link.output = [];
        return ok(encodeError(0));
      }
      case Vxi11.DEVICE_TRIGGER:
      case Vxi11.DEVICE_REMOTE:
      case Vxi11.DEVICE_LOCAL: {
        const p = decodeGenericParms(r);
        return ok(encodeError(this.links.has(p.lid) ? (call.proc === Vxi11.DEVICE_TRIGGER ? 8 : 0) : 4));
      }
      case Vxi11.DEVICE_LOCK:
      case Vxi11.DEVICE_UNLOCK:
        return ok(encodeError(this.links.has(r.int()) ? 0 : 4));
      case Vxi11.DESTROY_LINK: {
        const lid = r.int();
        return ok(encodeError(this.links.delete(lid) ? 0 : 4));
      }
      default:
        return encodeAcceptedReply(call.xid, AcceptStat.PROC_UNAVAIL);
    }
  }

  /** Runs every complete message: each newline ends one, and so does END. */
  private process(link: DeviceLink, end: boolean): void {
    const lines = link.input.split('\n');
    link.input = end ? '' : lines.pop()!;
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      if (line === '') continue;
      this.received.push(line);
      if (this.received.length > 1000) this.received.splice(0, 500);
      const reply = this.protocol.handle(line);
      if (reply === undefined) continue;
      const text = (Array.isArray(reply) ? reply : [reply]).map((l) => l + this.replyTerminator).join('');
      link.output.push(Buffer.from(text, 'latin1'));
    }
  }

  /** Up to `requestSize` bytes of the oldest response, stopping after the term char if one is set. */
  private readFrom(link: DeviceLink, requestSize: number, termChar: number | null): Buffer {
    const message = link.output[0]!;
    let size = Math.min(requestSize, message.length);
    let reason = 0;
    if (termChar !== null) {
      const at = message.indexOf(termChar);
      if (at >= 0 && at < size) {
        size = at + 1;
        reason |= ReadReason.CHR;
      }
    }
    const rest = message.subarray(size);
    if (rest.length === 0) {
      link.output.shift();
      reason |= ReadReason.END;
    } else {
      link.output[0] = rest;
      if (!(reason & ReadReason.CHR)) reason |= ReadReason.REQCNT;
    }
    return encodeReadResp(0, reason, message.subarray(0, size));
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}
