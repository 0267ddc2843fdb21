import type { Clock } from '../../../core/clock.ts';
import { BenchtopError } from '../../../core/errors.ts';
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
  encodeDeviceRead,
  encodeDeviceWrite,
  encodeLink,
  OpFlag,
  ReadReason,
  Vxi11,
  vxi11Error,
} from './vxi11-protocol.ts';

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
}

/** Bytes asked for per device_read; longer replies take several reads. */
const readChunk = 1024 * 1024;
/** A reply longer than this is garbage, not a SCPI response. */
const maxReply = 16 * 1024 * 1024;

/**
 * A VXI-11 (`TCPIP0::host::INSTR`) connection: portmapper lookup, create_link, then each
 * message as device_write calls (END on the last) and each reply as device_read calls until
 * the instrument signals END or the term char. destroy_link on close.
 */
export class Vxi11Link implements MessageLink {
  readonly address: string;
  private readonly options: Vxi11LinkOptions;
  private rpc: RpcClient | null = null;
  private lid: number | null = null;
  private maxRecvSize = 1024;
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
    const results = await rpc.call(
      Vxi11.CREATE_LINK,
      encodeCreateLink({
        clientId: process.pid & 0x7fffffff,
        lockDevice: false,
        lockTimeout: 0,
        device: this.options.device,
      }),
      this.rpcTimeout(),
      what,
    );
    const resp = decodeResults(this.address, what, () => decodeCreateLinkResp(results));
    if (resp.error !== 0) {
      await rpc.close();
      throw vxi11Error(this.address, what, resp.error);
    }
    this.lid = resp.lid;
    // The spec requires at least 1024; a device that says less is taken at that minimum.
    this.maxRecvSize = Math.max(1024, resp.maxRecvSize);
  }

  async write(command: string): Promise<void> {
    const { rpc, lid } = this.connected();
    const data = Buffer.from(command + this.options.writeTermination, 'latin1');
    const what = `device_write "${command}"`;
    let offset = 0;
    while (offset < data.length) {
      const block = data.subarray(offset, offset + this.maxRecvSize);
      const last = offset + block.length >= data.length;
      const results = await rpc.call(
        Vxi11.DEVICE_WRITE,
        encodeDeviceWrite({
          lid,
          ioTimeout: this.options.timeoutMs,
          lockTimeout: 0,
          flags: last ? OpFlag.END : 0,
          data: block,
        }),
        this.rpcTimeout(),
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
    const { rpc, lid } = this.connected();
    const termination = this.options.readTermination;
    const termChar = termination.length > 0 ? termination.charCodeAt(termination.length - 1) : 0;
    const what = `device_read (reply to "${command}")`;
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const results = await rpc.call(
        Vxi11.DEVICE_READ,
        encodeDeviceRead({
          lid,
          requestSize: readChunk,
          ioTimeout: this.options.timeoutMs,
          lockTimeout: 0,
          flags: termChar ? OpFlag.TERMCHRSET : 0,
          termChar,
        }),
        this.rpcTimeout(),
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

  async close(): Promise<void> {
    const rpc = this.rpc;
    const lid = this.lid;
    this.rpc = null;
    this.lid = null;
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

  /** The device answers within io_timeout; the RPC deadline allows for the network on top. */
  private rpcTimeout(): number {
    return this.options.timeoutMs + Math.min(1000, this.options.timeoutMs);
  }
}
