import type { Socket } from 'node:net';
import { type Clock, systemClock } from '../../core/clock.ts';
import type { SimulatorServer } from '../../sim/simulator.ts';
import { SimulatorSockets } from '../../sim/simulator-sockets.ts';
import { LengthPrefixedFramer, mbapFormat } from '../../transports/length-prefixed-framer.ts';
import {
  decodeRequest,
  encodeAdu,
  encodeResponse,
  ModbusExceptionError,
  type ModbusRequest,
  type ModbusResponse,
} from './modbus-pdu.ts';
import type { RegisterBank } from './register-bank.ts';

/**
 * Faults a test switches on: every reply late by `latency_ms`; a connection dropped when its
 * next request arrives; an exception reply to requests of function `fc` (any when omitted)
 * touching `address` (any when omitted).
 */
export interface ModbusSimFaults {
  latencyMs?: number;
  drop?: boolean;
  exception?: { code: number; fc?: number; address?: number };
}

/** The addresses a request touches, for matching an injected exception. */
function span(r: ModbusRequest): [number, number] {
  switch (r.fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return [r.address, r.quantity];
    case 5:
    case 6:
      return [r.address, 1];
    case 15:
    case 16:
      return [r.address, r.values.length];
    case 23:
      return [
        Math.min(r.readAddress, r.writeAddress),
        Math.max(r.readAddress + r.readQuantity, r.writeAddress + r.values.length),
      ];
  }
}

/** Carries out one request against the bank (exceptions are thrown as ModbusExceptionError). */
export function serve(bank: RegisterBank, r: ModbusRequest): ModbusResponse {
  switch (r.fc) {
    case 1:
      return { fc: 1, bits: bank.readBits('coil', r.address, r.quantity) };
    case 2:
      return { fc: 2, bits: bank.readBits('discrete', r.address, r.quantity) };
    case 3:
      return { fc: 3, registers: bank.readRegisters('holding', r.address, r.quantity) };
    case 4:
      return { fc: 4, registers: bank.readRegisters('input', r.address, r.quantity) };
    case 5:
      bank.writeCoils(r.address, [r.value]);
      return { fc: 5, address: r.address, value: r.value };
    case 6:
      bank.writeRegisters(r.address, [r.value]);
      return { fc: 6, address: r.address, value: r.value };
    case 15:
      bank.writeCoils(r.address, r.values);
      return { fc: 15, address: r.address, quantity: r.values.length };
    case 16:
      bank.writeRegisters(r.address, r.values);
      return { fc: 16, address: r.address, quantity: r.values.length };
    case 23:
      // The specification: the write is performed before the read.
      bank.writeRegisters(r.writeAddress, r.values);
      return { fc: 23, registers: bank.readRegisters('holding', r.readAddress, r.readQuantity) };
  }
}

/**
 * A Modbus TCP server in front of a RegisterBank: several clients at once, each connection's
 * requests answered in order, the unit id checked (another unit gets exception 0B, as from a
 * gateway with no such device; 0 and 0xFF mean this device), and injectable faults.
 */
export class ModbusSimServer implements SimulatorServer {
  readonly type: string;
  readonly bank: RegisterBank;
  private readonly unitId: number;
  private readonly clock: Clock;
  private readonly tcp = new SimulatorSockets((socket) => this.accept(socket));
  faults: ModbusSimFaults = {};
  /** Requests served, by function code (tests check how the driver merged its reads). */
  readonly requests: ModbusRequest[] = [];

  constructor(options: { type?: string; bank: RegisterBank; unitId: number; clock?: Clock }) {
    this.type = options.type ?? 'ModbusPlc';
    this.bank = options.bank;
    this.unitId = options.unitId;
    this.clock = options.clock ?? systemClock;
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
    // The replies to the requests of one chunk (a pipelining client's burst) leave in one write.
    let replies: Buffer[] = [];
    const framer = new LengthPrefixedFramer(mbapFormat, (frame) => {
      const reply = this.onFrame(socket, frame);
      if (reply) replies.push(reply);
    });
    socket.on('data', (chunk) => {
      try {
        framer.push(chunk);
      } catch {
        socket.destroy(); // a header announcing an impossible length: the stream is lost
      }
      if (replies.length === 0 || socket.destroyed) return;
      const out = replies.length === 1 ? replies[0]! : Buffer.concat(replies);
      replies = [];
      socket.write(out);
    });
  }

  /** The reply ADU (MBAP header and PDU) to one request. */
  private reply(transactionId: number, unitId: number, pdu: Buffer): Buffer {
    let fc = pdu[0] ?? 0;
    try {
      // 0 and 0xFF address "this device" on Modbus TCP (libmodbus sends 0xFF unless told otherwise).
      if (unitId !== this.unitId && unitId !== 0 && unitId !== 0xff)
        throw new ModbusExceptionError(0x0b, `no unit ${unitId}`);
      const request = decodeRequest(pdu);
      fc = request.fc;
      this.requests.push(request);
      if (this.requests.length > 10_000) this.requests.splice(0, 5_000);
      const injected = this.faults.exception;
      if (injected && (injected.fc === undefined || injected.fc === fc)) {
        const [start, count] = span(request);
        if (injected.address === undefined || (injected.address >= start && injected.address < start + count))
          throw new ModbusExceptionError(injected.code);
      }
      if (request.fc === 3 || request.fc === 4)
        return this.registersReply(transactionId, unitId, request.fc === 3 ? 'holding' : 'input', request);
      return encodeAdu(transactionId, unitId, encodeResponse(serve(this.bank, request)));
    } catch (error) {
      const exception = error instanceof ModbusExceptionError ? error.exception : 4;
      return encodeAdu(transactionId, unitId, encodeResponse({ fc: fc & 0x7f, exception }));
    }
  }

  /**
   * FC3/FC4, the request of every poll: the registers copied in wire order from the bank
   * straight into the reply, one buffer, no number[] in between.
   */
  private registersReply(
    transactionId: number,
    unitId: number,
    table: 'holding' | 'input',
    r: { fc: number; address: number; quantity: number },
  ): Buffer {
    const bytes = 2 * r.quantity;
    const adu = Buffer.allocUnsafe(9 + bytes);
    this.bank.readRegistersInto(table, r.address, r.quantity, adu, 9);
    adu.writeUInt16BE(transactionId & 0xffff, 0);
    adu.writeUInt16BE(0, 2);
    adu.writeUInt16BE(3 + bytes, 4);
    adu[6] = unitId & 0xff;
    adu[7] = r.fc;
    adu[8] = bytes;
    return adu;
  }

  /** The reply to write now, or null: none (not Modbus, connection dropped) or one sent later (latency). */
  private onFrame(socket: Socket, frame: Buffer): Buffer | null {
    if (this.faults.drop) {
      socket.destroy();
      return null;
    }
    // Not Modbus (protocol id other than 0): a server ignores it.
    if (frame.readUInt16BE(2) !== 0) return null;
    const reply = this.reply(frame.readUInt16BE(0), frame[6]!, frame.subarray(7));
    const latency = this.faults.latencyMs ?? 0;
    if (latency <= 0) return reply;
    this.clock.setTimeout(() => socket.writable && socket.write(reply), latency);
    return null;
  }
}
