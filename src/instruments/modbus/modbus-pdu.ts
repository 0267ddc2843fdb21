/**
 * Modbus application protocol: the PDUs of the function codes Benchtop speaks (1, 2, 3, 4, 5, 6,
 * 15, 16, 23), both directions, and the MBAP wrapper of Modbus TCP. Pure byte work, no sockets:
 * the driver's client and the simulator's server share it. Limits are the specification's.
 */

export const FC = {
  readCoils: 1,
  readDiscreteInputs: 2,
  readHoldingRegisters: 3,
  readInputRegisters: 4,
  writeSingleCoil: 5,
  writeSingleRegister: 6,
  writeMultipleCoils: 15,
  writeMultipleRegisters: 16,
  readWriteMultipleRegisters: 23,
} as const;

export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export const exceptionName = (code: number): string =>
  EXCEPTION_NAMES[code] ?? `exception 0x${code.toString(16).padStart(2, '0')}`;

/** Quantity limits per request (Modbus Application Protocol v1.1b3). */
export const LIMITS = {
  readBits: 2000,
  readRegisters: 125,
  writeBits: 1968,
  writeRegisters: 123,
  readWriteRead: 125,
  readWriteWrite: 121,
} as const;

export type ModbusRequest =
  | { fc: 1 | 2 | 3 | 4; address: number; quantity: number }
  | { fc: 5; address: number; value: boolean }
  | { fc: 6; address: number; value: number }
  | { fc: 15; address: number; values: boolean[] }
  | { fc: 16; address: number; values: number[] }
  | { fc: 23; readAddress: number; readQuantity: number; writeAddress: number; values: number[] };

export type ModbusResponse =
  | { fc: 1 | 2; bits: boolean[] }
  | { fc: 3 | 4 | 23; registers: number[] }
  | { fc: 5; address: number; value: boolean }
  | { fc: 6; address: number; value: number }
  | { fc: 15 | 16; address: number; quantity: number }
  | { fc: number; exception: number };

/** A request the server cannot carry out, answered with `FC | 0x80` and this code. */
export class ModbusExceptionError extends Error {
  readonly exception: number;
  constructor(exception: number, message?: string) {
    super(message ?? exceptionName(exception));
    this.name = 'ModbusExceptionError';
    this.exception = exception;
  }
}

/** A reply that does not fit the request (or the protocol): the stream cannot be trusted. */
export class ModbusFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModbusFormatError';
  }
}

function packBits(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

function unpackBits(bytes: Buffer, count: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < count; i++) out.push(((bytes[i >> 3]! >> (i & 7)) & 1) === 1);
  return out;
}

function registersOf(bytes: Buffer): number[] {
  const out = new Array<number>(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (bytes[2 * i]! << 8) | bytes[2 * i + 1]!;
  return out;
}

function registerBytes(values: readonly number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => {
    out.writeUInt16BE(v & 0xffff, i * 2);
  });
  return out;
}

const u16 = (...values: number[]) => registerBytes(values);

// ---------------------------------------------------------------- client side

export function encodeRequest(r: ModbusRequest): Buffer {
  switch (r.fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      // The request of every scan: written in place rather than concatenated from parts.
      const pdu = Buffer.allocUnsafe(5);
      pdu[0] = r.fc;
      pdu.writeUInt16BE(r.address & 0xffff, 1);
      pdu.writeUInt16BE(r.quantity & 0xffff, 3);
      return pdu;
    }
    case 5:
      return Buffer.concat([Buffer.of(5), u16(r.address, r.value ? 0xff00 : 0)]);
    case 6:
      return Buffer.concat([Buffer.of(6), u16(r.address, r.value)]);
    case 15: {
      const data = packBits(r.values);
      return Buffer.concat([Buffer.of(15), u16(r.address, r.values.length), Buffer.of(data.length), data]);
    }
    case 16: {
      const data = registerBytes(r.values);
      return Buffer.concat([Buffer.of(16), u16(r.address, r.values.length), Buffer.of(data.length), data]);
    }
    case 23: {
      const data = registerBytes(r.values);
      return Buffer.concat([
        Buffer.of(23),
        u16(r.readAddress, r.readQuantity, r.writeAddress, r.values.length),
        Buffer.of(data.length),
        data,
      ]);
    }
  }
}

/** Decodes a reply and checks it answers `request`; throws ModbusFormatError if it does not. */
export function decodeResponse(pdu: Buffer, request: ModbusRequest): ModbusResponse {
  if (pdu.length < 2) throw new ModbusFormatError(`reply of ${pdu.length} byte(s) is too short`);
  const fc = pdu[0]!;
  if (fc === (request.fc | 0x80)) return { fc: request.fc, exception: pdu[1]! };
  if (fc !== request.fc) throw new ModbusFormatError(`reply has function ${fc}, request had ${request.fc}`);
  const expectLength = (n: number) => {
    if (pdu.length !== n)
      throw new ModbusFormatError(`function ${fc} reply is ${pdu.length} bytes, expected ${n}`);
  };
  switch (request.fc) {
    case 1:
    case 2: {
      const bytes = Math.ceil(request.quantity / 8);
      if (pdu[1] !== bytes) throw new ModbusFormatError(`byte count ${pdu[1]}, expected ${bytes}`);
      expectLength(2 + bytes);
      return { fc: request.fc, bits: unpackBits(pdu.subarray(2), request.quantity) };
    }
    case 3:
    case 4:
    case 23: {
      const quantity = request.fc === 23 ? request.readQuantity : request.quantity;
      if (pdu[1] !== quantity * 2)
        throw new ModbusFormatError(`byte count ${pdu[1]}, expected ${quantity * 2}`);
      expectLength(2 + quantity * 2);
      return { fc: request.fc, registers: registersOf(pdu.subarray(2)) };
    }
    case 5:
    case 6: {
      expectLength(5);
      const address = pdu.readUInt16BE(1);
      const raw = pdu.readUInt16BE(3);
      if (address !== request.address)
        throw new ModbusFormatError(`echo of address ${address}, sent ${request.address}`);
      if (request.fc === 5) {
        if (raw !== 0xff00 && raw !== 0) throw new ModbusFormatError(`coil echo 0x${raw.toString(16)}`);
        return { fc: 5, address, value: raw === 0xff00 };
      }
      return { fc: 6, address, value: raw };
    }
    case 15:
    case 16: {
      expectLength(5);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      if (address !== request.address || quantity !== request.values.length)
        throw new ModbusFormatError(
          `write reply ${address}/${quantity}, sent ${request.address}/${request.values.length}`,
        );
      return { fc: request.fc, address, quantity };
    }
  }
}

// ---------------------------------------------------------------- server side

const inRange = (n: number, min: number, max: number) => n >= min && n <= max;

/**
 * Decodes a request. Unknown functions throw exception 01; a quantity or byte count outside
 * the protocol throws 03 (address checks against the map are the server's: exception 02).
 */
export function decodeRequest(pdu: Buffer): ModbusRequest {
  if (pdu.length < 1) throw new ModbusExceptionError(1, 'empty request');
  const fc = pdu[0]!;
  const need = (n: number) => {
    if (pdu.length < n) throw new ModbusExceptionError(3, `function ${fc}: request of ${pdu.length} bytes`);
  };
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4: {
      need(5);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      const max = fc <= 2 ? LIMITS.readBits : LIMITS.readRegisters;
      if (!inRange(quantity, 1, max))
        throw new ModbusExceptionError(3, `quantity ${quantity} outside 1–${max}`);
      return { fc, address, quantity };
    }
    case 5: {
      need(5);
      const raw = pdu.readUInt16BE(3);
      if (raw !== 0xff00 && raw !== 0) throw new ModbusExceptionError(3, `coil value 0x${raw.toString(16)}`);
      return { fc, address: pdu.readUInt16BE(1), value: raw === 0xff00 };
    }
    case 6:
      need(5);
      return { fc, address: pdu.readUInt16BE(1), value: pdu.readUInt16BE(3) };
    case 15: {
      need(6);
      const quantity = pdu.readUInt16BE(3);
      const bytes = pdu[5]!;
      if (
        !inRange(quantity, 1, LIMITS.writeBits) ||
        bytes !== Math.ceil(quantity / 8) ||
        pdu.length !== 6 + bytes
      )
        throw new ModbusExceptionError(3, `quantity ${quantity} with byte count ${bytes}`);
      return { fc, address: pdu.readUInt16BE(1), values: unpackBits(pdu.subarray(6), quantity) };
    }
    case 16: {
      need(6);
      const quantity = pdu.readUInt16BE(3);
      const bytes = pdu[5]!;
      if (!inRange(quantity, 1, LIMITS.writeRegisters) || bytes !== quantity * 2 || pdu.length !== 6 + bytes)
        throw new ModbusExceptionError(3, `quantity ${quantity} with byte count ${bytes}`);
      return { fc, address: pdu.readUInt16BE(1), values: registersOf(pdu.subarray(6)) };
    }
    case 23: {
      need(10);
      const readQuantity = pdu.readUInt16BE(3);
      const writeQuantity = pdu.readUInt16BE(7);
      const bytes = pdu[9]!;
      if (
        !inRange(readQuantity, 1, LIMITS.readWriteRead) ||
        !inRange(writeQuantity, 1, LIMITS.readWriteWrite) ||
        bytes !== writeQuantity * 2 ||
        pdu.length !== 10 + bytes
      )
        throw new ModbusExceptionError(
          3,
          `read ${readQuantity}, write ${writeQuantity}, byte count ${bytes}`,
        );
      return {
        fc,
        readAddress: pdu.readUInt16BE(1),
        readQuantity,
        writeAddress: pdu.readUInt16BE(5),
        values: registersOf(pdu.subarray(10)),
      };
    }
    default:
      throw new ModbusExceptionError(1, `function ${fc} not supported`);
  }
}

export function encodeResponse(r: ModbusResponse): Buffer {
  if ('exception' in r) return Buffer.of(r.fc | 0x80, r.exception);
  switch (r.fc) {
    case 1:
    case 2: {
      const data = packBits(r.bits);
      return Buffer.concat([Buffer.of(r.fc, data.length), data]);
    }
    case 3:
    case 4:
    case 23: {
      const data = registerBytes(r.registers);
      return Buffer.concat([Buffer.of(r.fc, data.length), data]);
    }
    case 5:
      return Buffer.concat([Buffer.of(5), u16(r.address, r.value ? 0xff00 : 0)]);
    case 6:
      return Buffer.concat([Buffer.of(6), u16(r.address, r.value)]);
    case 15:
    case 16:
      return Buffer.concat([Buffer.of(r.fc), u16(r.address, r.quantity)]);
  }
}

// ---------------------------------------------------------------- MBAP (Modbus TCP)

export interface Adu {
  transactionId: number;
  protocolId: number;
  unitId: number;
  pdu: Buffer;
}

export function encodeAdu(transactionId: number, unitId: number, pdu: Buffer): Buffer {
  const adu = Buffer.allocUnsafe(7 + pdu.length);
  adu.writeUInt16BE(transactionId & 0xffff, 0);
  adu.writeUInt16BE(0, 2);
  adu.writeUInt16BE(pdu.length + 1, 4);
  adu.writeUInt8(unitId & 0xff, 6);
  pdu.copy(adu, 7);
  return adu;
}

/** A whole frame from LengthPrefixedFramer(mbapFormat). */
export function decodeAdu(frame: Buffer): Adu {
  return {
    transactionId: frame.readUInt16BE(0),
    protocolId: frame.readUInt16BE(2),
    unitId: frame.readUInt8(6),
    pdu: frame.subarray(7),
  };
}
