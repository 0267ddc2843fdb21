import type { Clock } from '../../../core/clock.ts';
import { BenchtopError, isBenchtopError } from '../../../core/errors.ts';
import { TcpTransport } from '../../../transports/tcp-transport.ts';
import type { MessageLink } from '../message-link.ts';
import { lookupPort, Portmapper } from './portmapper.ts';
import { RpcClient } from './rpc-client.ts';
import {
  decodeCreateLinkResp,
  decodeError,
  decodeReadResp,
  decodeResults,
  decodeWriteResp,
  encodeCreateLink,
  encodeDeviceLock,
  encodeDeviceRead,
  encodeDeviceWrite,
  encodeGenericParms,
  encodeLink,
  OpFlag,
  ReadReason,
  Vxi11,
  vxi11Error,
} from './vxi11-protocol.ts';
import type { XdrReader } from './xdr.ts';

export interface Vxi11LinkOptions {
  host: string;
  /** Device name from the resource: `inst0`, `gpib0,5`. */
  device: string;
  /** Where the portmapper listens; 111 on real instruments, an ephemeral port in tests. */
  portmapperPort?: number;
  /** Connect straight to this core-channel port instead of asking the portmapper. */
  corePort?: number;
  timeoutMs: number;
  clock: Clock;
  /** Its last character is sent as the device_read term char; stripped from replies. */
  readTermination: string;
  writeTermination: string;
  /**
   * Take the device lock in create_link and hold it until destroy_link (an exclusive session);
   * create_link waits up to `timeoutMs` for a lock another link holds.
   */
  lockDevice?: boolean;
  /**
   * How long each operation waits for a lock another link holds before the device answers
   * error 11; 0 (the default) answers at once. It adds to the deadline of every call.
   */
  lockTimeoutMs?: number;
}

/** Bytes asked for per device_read; longer replies take several reads. */
const readChunk = 1024 * 1024;
/** A reply longer than this is garbage, not a SCPI response. */
const maxReply = 16 * 1024 * 1024;

/**
 * A VXI-11 (`TCPIP0::host::INSTR`) connection: portmapper lookup, create_link, then each
 * message as device_write calls (END on the last) and each reply as device_read calls until
 * the instrument signals END or the term char. destroy_link on close.
 *
 * An instrument runs the calls of a core connection one at a time, so a call it never
 * answers would hold up every later one. When a call's deadline passes, when the `open`
 * signal aborts (the actor stops), or before destroy_link with a call still out, the link
 * sends device_abort on the abort channel (a second connection, to create_link's abortPort):
 * the blocked call returns error 23 and the core channel is free again.
 */
export class Vxi11Link implements MessageLink {
  readonly address: string;
  private readonly options: Vxi11LinkOptions;
  private rpc: RpcClient | null = null;
  private lid: number | null = null;
  private maxRecvSize = 1024;
  private abortPort = 0;
  private abortRpc: RpcClient | null = null;
  /** Core calls sent and not yet answered (or given up on). */
  private inFlight = 0;
  private lifetime: { signal: AbortSignal; onAbort: () => void } | null = null;
  private lostListener: (error: BenchtopError) => void = () => {};

  constructor(options: Vxi11LinkOptions) {
    this.options = options;
    this.address = `vxi11://${options.host}/${options.device}`;
  }

  onLost(listener: (error: BenchtopError) => void): void {
    this.lostListener = listener;
  }

  async open(signal?: AbortSignal): Promise<void> {
    const { host, clock, timeoutMs } = this.options;
    const port =
      this.options.corePort ??
      (await lookupPort({
        host,
        portmapperPort: this.options.portmapperPort ?? Portmapper.PORT,
        prog: Vxi11.CORE_PROG,
        vers: Vxi11.CORE_VERS,
        clock,
        timeoutMs,
        ...(signal ? { signal } : {}),
      }));
    const rpc = new RpcClient(new TcpTransport(host, port, { connectTimeoutMs: timeoutMs }), {
      prog: Vxi11.CORE_PROG,
      vers: Vxi11.CORE_VERS,
      clock,
      maxRecord: readChunk + 4096,
    });
    rpc.onLost((error) => this.lostListener(error));
    this.rpc = rpc;
    await rpc.open(signal);
    const what = `create_link(${this.options.device})`;
    const lockWait = this.options.lockDevice ? timeoutMs : 0;
    const results = await rpc.call(
      Vxi11.CREATE_LINK,
      encodeCreateLink({
        clientId: process.pid & 0x7fffffff,
        lockDevice: this.options.lockDevice === true,
        lockTimeout: lockWait,
        device: this.options.device,
      }),
      this.deadline(lockWait),
      what,
    );
    const resp = decodeResults(this.address, what, () => decodeCreateLinkResp(results));
    if (resp.error !== 0) {
      await rpc.close();
      throw vxi11Error(this.address, what, resp.error);
    }
    this.lid = resp.lid;
    this.abortPort = resp.abortPort;
    // The spec requires at least 1024; a device that says less is taken at that minimum.
    this.maxRecvSize = Math.max(1024, resp.maxRecvSize);
    if (signal) {
      const onAbort = () => {
        if (this.inFlight > 0) this.abort().catch(() => {});
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.lifetime = { signal, onAbort };
    }
  }

  async write(command: string): Promise<void> {
    const { lid } = this.connected();
    const data = Buffer.from(command + this.options.writeTermination, 'latin1');
    const what = `device_write "${command}"`;
    let offset = 0;
    while (offset < data.length) {
      const block = data.subarray(offset, offset + this.maxRecvSize);
      const last = offset + block.length >= data.length;
      const results = await this.call(
        Vxi11.DEVICE_WRITE,
        encodeDeviceWrite({
          lid,
          ioTimeout: this.options.timeoutMs,
          lockTimeout: this.lockTimeout(),
          flags: (last ? OpFlag.END : 0) | this.waitLock(),
          data: block,
        }),
        this.options.timeoutMs + this.lockTimeout(),
        what,
      );
      const resp = decodeResults(this.address, what, () => decodeWriteResp(results));
      if (resp.error !== 0) throw vxi11Error(this.address, what, resp.error);
      if (resp.size === 0 || resp.size > block.length) {
        throw new BenchtopError(
          'PROTOCOL_ERROR',
          `${this.address}: ${what}: device accepted ${resp.size} of ${block.length} bytes`,
          {
            address: this.address,
            command,
          },
        );
      }
      offset += resp.size;
    }
  }

  async query(command: string): Promise<string> {
    await this.write(command);
    return this.read(command);
  }

  /** Reads one response message: device_read until END (or the term char). */
  private async read(command: string): Promise<string> {
    const { lid } = this.connected();
    const termination = this.options.readTermination;
    const termChar = termination.length > 0 ? termination.charCodeAt(termination.length - 1) : 0;
    const what = `device_read (reply to "${command}")`;
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const results = await this.call(
        Vxi11.DEVICE_READ,
        encodeDeviceRead({
          lid,
          requestSize: readChunk,
          ioTimeout: this.options.timeoutMs,
          lockTimeout: this.lockTimeout(),
          flags: (termChar ? OpFlag.TERMCHRSET : 0) | this.waitLock(),
          termChar,
        }),
        this.options.timeoutMs + this.lockTimeout(),
        what,
      );
      const resp = decodeResults(this.address, what, () => decodeReadResp(results));
      if (resp.error !== 0) throw vxi11Error(this.address, what, resp.error);
      parts.push(resp.data);
      total += resp.data.length;
      if (resp.reason & (ReadReason.END | ReadReason.CHR)) break;
      if (total > maxReply || resp.data.length === 0) {
        throw new BenchtopError(
          'PROTOCOL_ERROR',
          `${this.address}: ${what}: no end of message after ${total} bytes`,
          {
            address: this.address,
            command,
          },
        );
      }
    }
    let reply = Buffer.concat(parts).toString('latin1');
    if (termination && reply.endsWith(termination)) reply = reply.slice(0, -termination.length);
    return reply.replace(/\r?\n$/, '');
  }

  /**
   * Device clear (VISA viClear, IEEE 488.1 SDC): the instrument drops its unread input and
   * output and stops what it was doing for this link.
   */
  async clear(): Promise<void> {
    const { lid } = this.connected();
    const { timeoutMs } = this.options;
    await this.deviceCall(
      Vxi11.DEVICE_CLEAR,
      encodeGenericParms({
        lid,
        flags: this.waitLock(),
        lockTimeout: this.lockTimeout(),
        ioTimeout: timeoutMs,
      }),
      timeoutMs + this.lockTimeout(),
      'device_clear',
    );
  }

  /**
   * Takes the device lock (VISA viLock, exclusive): other links' operations get error 11 until
   * `unlock` or close. Waits up to `timeoutMs` for a lock another link holds.
   */
  async lock(timeoutMs: number): Promise<void> {
    const { lid } = this.connected();
    await this.deviceCall(
      Vxi11.DEVICE_LOCK,
      encodeDeviceLock({ lid, flags: OpFlag.WAITLOCK, lockTimeout: timeoutMs }),
      timeoutMs,
      'device_lock',
    );
  }

  /** Releases the lock; VXI-11 error 12 if this link does not hold it. */
  async unlock(): Promise<void> {
    const { lid } = this.connected();
    await this.deviceCall(Vxi11.DEVICE_UNLOCK, encodeLink(lid), 0, 'device_unlock');
  }

  /**
   * device_abort on the abort channel: the core call this link has out (a device_read the
   * instrument does not answer) returns error 23. The abort connection is opened on first use.
   */
  async abort(): Promise<void> {
    const { lid } = this.connected();
    const what = 'device_abort';
    if (this.abortPort === 0) {
      throw new BenchtopError(
        'TRANSPORT_UNSUPPORTED',
        `${this.address}: the instrument offers no abort channel`,
        {
          address: this.address,
        },
      );
    }
    const results = await (await this.abortChannel()).call(
      Vxi11.DEVICE_ABORT,
      encodeLink(lid),
      this.deadline(0),
      what,
    );
    const error = decodeResults(this.address, what, () => decodeError(results));
    if (error !== 0) throw vxi11Error(this.address, what, error);
  }

  async close(): Promise<void> {
    if (this.lifetime) this.lifetime.signal.removeEventListener('abort', this.lifetime.onAbort);
    this.lifetime = null;
    // A call still out would hold destroy_link up behind it: cut it short first.
    if (this.inFlight > 0 && this.rpc) await this.abort().catch(() => {});
    const rpc = this.rpc;
    const lid = this.lid;
    const abortRpc = this.abortRpc;
    this.rpc = null;
    this.lid = null;
    this.abortRpc = null;
    await abortRpc?.close();
    if (!rpc) return;
    if (lid !== null) {
      const timeout = Math.min(this.options.timeoutMs, 1000);
      await rpc
        .call(Vxi11.DESTROY_LINK, encodeLink(lid), timeout, 'destroy_link')
        .then((r) => decodeError(r))
        .catch(() => 0);
    }
    await rpc.close();
  }

  private connected(): { rpc: RpcClient; lid: number } {
    if (!this.rpc || this.lid === null)
      throw new BenchtopError('LINK_LOST', `${this.address} is not connected`, { address: this.address });
    return { rpc: this.rpc, lid: this.lid };
  }

  /** A core call whose results are just a Device_Error; a non-zero one is thrown. */
  private async deviceCall(proc: number, args: Buffer, deviceMs: number, what: string): Promise<void> {
    const results = await this.call(proc, args, deviceMs, what);
    const error = decodeResults(this.address, what, () => decodeError(results));
    if (error !== 0) throw vxi11Error(this.address, what, error);
  }

  /**
   * A core-channel call. When no reply comes in time the instrument is still busy with it, and
   * would run every later call only after it: device_abort frees the channel (the aborted
   * call's late reply is recognised by its xid and dropped), then the timeout is reported.
   */
  private async call(proc: number, args: Buffer, deviceMs: number, what: string): Promise<XdrReader> {
    const { rpc } = this.connected();
    this.inFlight++;
    try {
      return await rpc.call(proc, args, this.deadline(deviceMs), what);
    } catch (error) {
      if (isBenchtopError(error, 'INSTRUMENT_TIMEOUT') && this.rpc === rpc)
        await this.abort().catch(() => {});
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  private async abortChannel(): Promise<RpcClient> {
    if (this.abortRpc) return this.abortRpc;
    const { host, clock, timeoutMs } = this.options;
    const rpc = new RpcClient(new TcpTransport(host, this.abortPort, { connectTimeoutMs: timeoutMs }), {
      prog: Vxi11.ASYNC_PROG,
      vers: Vxi11.ASYNC_VERS,
      clock,
    });
    // A lost abort connection is not a lost link: the next abort opens a fresh one.
    rpc.onLost(() => {
      if (this.abortRpc === rpc) this.abortRpc = null;
    });
    this.abortRpc = rpc;
    try {
      await rpc.open();
    } catch (error) {
      this.abortRpc = null;
      throw error;
    }
    return rpc;
  }

  private lockTimeout(): number {
    return this.options.lockTimeoutMs ?? 0;
  }

  /** WAITLOCK asks the device to wait lock_timeout for another link's lock instead of failing at once. */
  private waitLock(): number {
    return this.lockTimeout() > 0 ? OpFlag.WAITLOCK : 0;
  }

  /** The device answers within `deviceMs` (io_timeout, lock_timeout); the deadline allows for the network on top. */
  private deadline(deviceMs: number): number {
    return deviceMs + Math.min(1000, this.options.timeoutMs);
  }
}
