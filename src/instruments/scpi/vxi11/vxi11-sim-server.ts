import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { type Clock, systemClock, type TimerHandle } from '../../../core/clock.ts';
import type { LineProtocol, SimulatorFault } from '../../../sim/line-simulator-server.ts';
import type { SimulatorServer } from '../../../sim/simulator.ts';
import { AcceptStat, decodeCall, encodeAcceptedReply, type RpcCall } from './onc-rpc.ts';
import { Portmapper } from './portmapper.ts';
import { encodeRecord, RecordDecoder } from './record-marking.ts';
import {
  type CreateLinkParms,
  decodeCreateLinkParms,
  decodeDeviceLockParms,
  decodeDeviceReadParms,
  decodeDeviceWriteParms,
  decodeGenericParms,
  decodeLink,
  encodeCreateLinkResp,
  encodeError,
  encodeReadResp,
  encodeWriteResp,
  OpFlag,
  ReadReason,
  Vxi11,
} from './vxi11-protocol.ts';
import { DeviceLock, type LockOutcome } from './vxi11-sim-lock.ts';
import { XdrError, XdrWriter } from './xdr.ts';

interface DeviceLink {
  lid: number;
  /** Bytes written but not yet a complete message. */
  input: string;
  /** Response messages waiting to be read, each with its terminator. */
  output: Buffer[];
  /** A stalled message was written: the next device_read hangs until device_abort or device_clear. */
  hung: boolean;
  /** The core call in progress on this link, which device_abort cancels. */
  busy: AbortController | null;
}

/** Where a message matching `match` makes the device hang (see `stall`). */
export interface Vxi11Stall {
  match: RegExp;
  /** 'write': the device_write itself never returns; 'read': the write is taken, the reply never comes. */
  at: 'write' | 'read';
}

type Handler = (call: RpcCall, socket: Socket) => Buffer | null | Promise<Buffer | null>;

const lockErrors: Record<LockOutcome, number> = { ok: 0, locked: 11, aborted: 23 };

/**
 * A VXI-11 instrument on loopback: a portmapper (on the port given to `listen`, normally
 * 111, any free port in tests) that points at a core channel serving the same LineProtocol
 * the raw-socket simulator hosts, and an abort channel (the abortPort of create_link).
 * Messages end at END or a newline; replies carry END. As on a real instrument, the calls of
 * one core connection run one after another, the device lock is shared by all links, and
 * only the abort channel can cut a blocked call short.
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
  private readonly timers = new Set<TimerHandle>();
  private readonly clock: Clock;
  private readonly lock: DeviceLock;
  private nextLid = 1;
  private fault: SimulatorFault = { kind: 'none' };
  private stallRule: Vxi11Stall | null = null;
  private core = 0;
  private abortChannel = 0;
  /** RPC calls answered, by procedure number (portmapper, core and abort channel together). */
  readonly calls: number[] = [];
  /**
   * 'stall' (lid) when a call starts hanging on a stalled message, 'lock-wait' (lid) when a
   * call starts waiting for another link's lock, 'abort' (lid) when device_abort arrives: for
   * tests that must act while a call is blocked, without sleeping.
   */
  readonly events = new EventEmitter();

  constructor(
    type: string,
    protocol: LineProtocol,
    options: { maxRecvSize?: number; replyTerminator?: string; clock?: Clock } = {},
  ) {
    this.type = type;
    this.protocol = protocol;
    this.maxRecvSize = options.maxRecvSize ?? 4096;
    this.replyTerminator = options.replyTerminator ?? '\n';
    this.clock = options.clock ?? systemClock;
    this.lock = new DeviceLock(this.clock);
  }

  /** Port of the core channel (what the portmapper hands out). */
  get corePort(): number {
    return this.core;
  }

  /** Port of the abort channel (what create_link hands out). */
  get abortPort(): number {
    return this.abortChannel;
  }

  /** The link holding the device lock, if any. */
  get lockHolder(): number | null {
    return this.lock.holder;
  }

  /** Makes messages matching `stall.match` hang the device (a query that never answers); null undoes it. */
  stall(stall: Vxi11Stall | null): void {
    this.stallRule = stall;
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
    this.abortChannel = await this.serve(0, host, (call) => this.abortCall(call));
    const portmapper = await this.serve(port, host, (call) => this.portmapperCall(call));
    return { host, port: portmapper };
  }

  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    for (const lid of [...this.links.keys()]) this.removeLink(lid);
  }

  async close(): Promise<void> {
    for (const t of this.timers) t.cancel();
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
      for (const [lid, link] of this.links) if (link.socket === socket) this.removeLink(lid);
    });
    // One call at a time per connection, as an instrument's RPC server runs them: a call that
    // blocks holds up the ones behind it until it returns or is aborted. A simulator bug must
    // cost the client its connection, not take the whole process down.
    let queue = Promise.resolve();
    const decoder = new RecordDecoder((record) => {
      queue = queue
        .then(() => this.onRecord(socket, record, handler))
        .catch(() => {
          socket.destroy();
        });
    });
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

  private async coreCall(call: RpcCall, socket: Socket): Promise<Buffer> {
    const ok = (results: Buffer) => encodeAcceptedReply(call.xid, AcceptStat.SUCCESS, results);
    if (call.prog !== Vxi11.CORE_PROG) return encodeAcceptedReply(call.xid, AcceptStat.PROG_UNAVAIL);
    if (call.vers !== Vxi11.CORE_VERS)
      return encodeAcceptedReply(call.xid, AcceptStat.PROG_MISMATCH, undefined, { low: 1, high: 1 });
    const r = call.args;
    const noData = Buffer.alloc(0);
    switch (call.proc) {
      case Vxi11.CREATE_LINK:
        return ok(await this.createLink(decodeCreateLinkParms(r), socket));
      case Vxi11.DEVICE_WRITE: {
        const p = decodeDeviceWriteParms(r);
        return ok(
          await this.operate(
            p.lid,
            p.flags,
            p.lockTimeout,
            (e) => encodeWriteResp(e, 0),
            (link, signal) => this.deviceWrite(link, p.data, (p.flags & OpFlag.END) !== 0, signal),
          ),
        );
      }
      case Vxi11.DEVICE_READ: {
        const p = decodeDeviceReadParms(r);
        const failed = (e: number) => encodeReadResp(e, 0, noData);
        return ok(
          await this.operate(p.lid, p.flags, p.lockTimeout, failed, async (link, signal) => {
            if (link.hung) {
              await this.hang(p.lid, signal);
              link.hung = false;
              return failed(23);
            }
            if (link.output.length === 0) {
              // Nothing to say: like a real device, answer "I/O timeout" once io_timeout has passed.
              return failed((await this.waitFor(p.ioTimeout, signal)) ? 23 : 15);
            }
            return this.readFrom(
              link,
              p.requestSize,
              (p.flags & OpFlag.TERMCHRSET) !== 0 ? p.termChar : null,
            );
          }),
        );
      }
      case Vxi11.DEVICE_READSTB: {
        const p = decodeGenericParms(r);
        const stb = (e: number, value = 0) => new XdrWriter().int(e).uint(value).toBuffer();
        return ok(
          await this.operate(p.lid, p.flags, p.lockTimeout, stb, () =>
            stb(0, Number(this.protocol.handle('*STB?') ?? 0) & 0xff),
          ),
        );
      }
      case Vxi11.DEVICE_CLEAR: {
        // Device clear (IEEE 488.1 SDC): drop unread input and output, and whatever hung.
        const p = decodeGenericParms(r);
        return ok(
          await this.operate(p.lid, p.flags, p.lockTimeout, encodeError, (link) => {
            link.input = '';
            link.output = [];
            link.hung = false;
            return encodeError(0);
          }),
        );
      }
      case Vxi11.DEVICE_TRIGGER:
      case Vxi11.DEVICE_REMOTE:
      case Vxi11.DEVICE_LOCAL: {
        const p = decodeGenericParms(r);
        const result = call.proc === Vxi11.DEVICE_TRIGGER ? 8 : 0;
        return ok(await this.operate(p.lid, p.flags, p.lockTimeout, encodeError, () => encodeError(result)));
      }
      case Vxi11.DEVICE_LOCK: {
        const p = decodeDeviceLockParms(r);
        const link = this.links.get(p.lid);
        if (!link) return ok(encodeError(4));
        const waitMs = p.flags & OpFlag.WAITLOCK ? p.lockTimeout : 0;
        return ok(
          encodeError(await this.whileBusy(link, (signal) => this.lockWait(p.lid, true, waitMs, signal))),
        );
      }
      case Vxi11.DEVICE_UNLOCK: {
        const lid = decodeLink(r);
        if (!this.links.has(lid)) return ok(encodeError(4));
        return ok(encodeError(this.lock.release(lid) ? 0 : 12));
      }
      case Vxi11.DESTROY_LINK:
        return ok(encodeError(this.removeLink(decodeLink(r)) ? 0 : 4));
      default:
        return encodeAcceptedReply(call.xid, AcceptStat.PROC_UNAVAIL);
    }
  }

  /** DEVICE_ASYNC on the abort port: device_abort ends the link's blocked core call with error 23. */
  private abortCall(call: RpcCall): Buffer {
    if (call.prog !== Vxi11.ASYNC_PROG) return encodeAcceptedReply(call.xid, AcceptStat.PROG_UNAVAIL);
    if (call.vers !== Vxi11.ASYNC_VERS)
      return encodeAcceptedReply(call.xid, AcceptStat.PROG_MISMATCH, undefined, { low: 1, high: 1 });
    if (call.proc === 0) return encodeAcceptedReply(call.xid, AcceptStat.SUCCESS);
    if (call.proc !== Vxi11.DEVICE_ABORT) return encodeAcceptedReply(call.xid, AcceptStat.PROC_UNAVAIL);
    const lid = decodeLink(call.args);
    const link = this.links.get(lid);
    if (!link) return encodeAcceptedReply(call.xid, AcceptStat.SUCCESS, encodeError(4));
    this.events.emit('abort', lid);
    link.busy?.abort();
    return encodeAcceptedReply(call.xid, AcceptStat.SUCCESS, encodeError(0));
  }

  private async createLink(p: CreateLinkParms, socket: Socket): Promise<Buffer> {
    const refused = (error: number) => encodeCreateLinkResp({ error, lid: 0, abortPort: 0, maxRecvSize: 0 });
    if (!/^inst\d+$/i.test(p.device)) return refused(21);
    const lid = this.nextLid++;
    if (p.lockDevice) {
      const error = await this.lockWait(lid, true, p.lockTimeout);
      if (error !== 0) return refused(error);
      // The client hung up while waiting: a lock for a link nobody will destroy would never go.
      if (socket.destroyed) {
        this.lock.release(lid);
        return refused(11);
      }
    }
    this.links.set(lid, { lid, input: '', output: [], hung: false, busy: null, socket });
    return encodeCreateLinkResp({
      error: 0,
      lid,
      abortPort: this.abortChannel,
      maxRecvSize: this.maxRecvSize,
    });
  }

  /**
   * A device operation on link `lid`: refused with error 4 for an unknown link, with 11 when
   * another link holds the lock (after lock_timeout with WAITLOCK), with 23 when aborted while
   * waiting; otherwise `run`, which device_abort can cut short through its signal.
   */
  private async operate(
    lid: number,
    flags: number,
    lockTimeout: number,
    failed: (error: number) => Buffer,
    run: (link: DeviceLink, signal: AbortSignal) => Buffer | Promise<Buffer>,
  ): Promise<Buffer> {
    const link = this.links.get(lid);
    if (!link) return failed(4);
    return this.whileBusy(link, async (signal) => {
      const error = await this.lockWait(lid, false, flags & OpFlag.WAITLOCK ? lockTimeout : 0, signal);
      return error === 0 ? run(link, signal) : failed(error);
    });
  }

  /** Marks `link` busy with one call, so device_abort on the abort channel can reach it. */
  private async whileBusy<T>(link: DeviceLink, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    link.busy = controller;
    try {
      return await run(controller.signal);
    } finally {
      if (link.busy === controller) link.busy = null;
    }
  }

  /** Waits for the device lock; returns the Device_ErrorCode (0, 11 locked, 23 aborted). */
  private async lockWait(lid: number, take: boolean, waitMs: number, signal?: AbortSignal): Promise<number> {
    const before = this.lock.waiting;
    const outcome = this.lock.wait(lid, take, waitMs, signal);
    if (this.lock.waiting > before) this.events.emit('lock-wait', lid);
    return lockErrors[await outcome];
  }

  private deviceWrite(
    link: DeviceLink,
    data: Buffer,
    end: boolean,
    signal: AbortSignal,
  ): Buffer | Promise<Buffer> {
    if (data.length > this.maxRecvSize) return encodeWriteResp(5, 0);
    const text = data.toString('latin1');
    const stall = this.stallRule;
    if (stall?.at === 'write' && stall.match.test(text)) {
      return this.hang(link.lid, signal).then(() => encodeWriteResp(23, 0));
    }
    link.input += text;
    this.process(link, end);
    return encodeWriteResp(0, data.length);
  }

  /** A device that never answers: resolves only when the call is aborted (or its link goes away). */
  private hang(lid: number, signal: AbortSignal): Promise<void> {
    this.events.emit('stall', lid);
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /** Waits `ms` on the clock; true when aborted first. */
  private waitFor(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => {
        timer.cancel();
        this.timers.delete(timer);
        resolve(true);
      };
      const timer = this.later(ms, () => {
        signal.removeEventListener('abort', onAbort);
        resolve(false);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Forgets a link: its blocked call ends, its lock is released. */
  private removeLink(lid: number): boolean {
    const link = this.links.get(lid);
    if (!link) return false;
    this.links.delete(lid);
    link.busy?.abort();
    this.lock.release(lid);
    return true;
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
      if (this.stallRule?.at === 'read' && this.stallRule.match.test(line)) {
        link.hung = true;
        continue;
      }
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

  private later(ms: number, fn: () => void): TimerHandle {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }
}
