import type {
  CallContext,
  CapabilityDescription,
  DriverContext,
  DriverIdentity,
  InstrumentDriver,
  SignalDef,
  SignalValue,
} from '../../core/device.ts';
import type { DriverActions } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import { describeEndpoint, type Endpoint } from '../../transports/endpoint.ts';
import { TcpTransport } from '../../transports/tcp-transport.ts';
import type { DriverDeps } from '../kind.ts';
import type { ModbusPlcConfig, ModbusTable } from './config.ts';
import { ModbusConnection, ModbusExceptionReply } from './modbus-connection.ts';
import { exceptionName, type ModbusRequest, type ModbusResponse } from './modbus-pdu.ts';
import { ModbusPool } from './modbus-pool.ts';
import {
  engineeringToRaw,
  isBitTable,
  type Point,
  planReads,
  type ReadBlock,
  rawToEngineering,
  toPoint,
} from './point-table.ts';
import { decodeRegisters, encodeRegisters, typeRange } from './register-values.ts';

const TABLE_NOUN: Record<ModbusTable, string> = {
  coil: 'coil',
  discrete: 'discrete input',
  holding: 'holding register',
  input: 'input register',
};

const READ_FC: Record<ModbusTable, 1 | 2 | 3 | 4> = { coil: 1, discrete: 2, holding: 3, input: 4 };

type Outcome = { value: SignalValue } | { error: BenchtopError };

/**
 * A PLC over Modbus TCP whose configured points are its signals.
 *
 * Reads: every monitored point is read by one bulk scan, its points merged into the fewest
 * requests (planReads) sent in parallel over the connection pool. The actor's poll asks each
 * point in turn; the first ask runs a scan and the others take its values, each value handed out
 * once, so the next poll (or any later read) scans again and is never served a stale value.
 *
 * Writes: refused before any byte is sent when outside min/max or the register type; then
 * written, read back from the written register and compared within the tolerance.
 *
 * A Modbus exception is an INSTRUMENT_ERROR naming the point, table, address and exception (the
 * link stays up); a timeout or a lost connection is a link fault, so the actor reconnects with
 * backoff, its readings turn invalid meanwhile and the reconnect scans everything again.
 */
export class ModbusPlcDriver implements InstrumentDriver {
  readonly type = 'ModbusPlc';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions = {};
  readonly points: readonly Point[];
  /** The scan's requests (exposed for tests and the identity line). */
  readonly blocks: readonly ReadBlock[];
  private readonly id: string;
  private readonly config: ModbusPlcConfig;
  private readonly endpoint: Endpoint;
  /** For request metrics (`modbus.request`). */
  private readonly bus: DriverDeps['bus'];
  private pool: ModbusPool | null = null;
  private unread = new Map<string, Outcome>();
  private scanning: Promise<void> | null = null;

  /** The point table as clients see it (the `points` capability). */
  readonly capabilities: readonly CapabilityDescription[];

  constructor(id: string, config: ModbusPlcConfig, deps: DriverDeps) {
    this.id = id;
    this.config = config;
    const c = this.config;
    this.endpoint = deps.simulatorEndpoint ?? { kind: 'tcp', host: c.host, port: c.port };
    this.bus = deps.bus;
    this.points = c.points.map(toPoint);
    this.blocks = planReads(this.points, c.max_gap);
    this.signals = Object.fromEntries(this.points.map((p) => [p.name, this.signalFor(p)]));
    this.capabilities = [
      {
        kind: 'points',
        points: this.points.map((p) => ({
          name: p.name,
          address: `${TABLE_NOUN[p.table]} ${p.address}`,
          type: p.type,
          ...(p.unit !== undefined ? { unit: p.unit } : {}),
          writable: p.writable,
        })),
      },
    ];
  }

  private signalFor(p: Point): SignalDef {
    const integer = p.type !== 'float32' && p.type !== 'bool' && !p.scale;
    const where = `${TABLE_NOUN[p.table]} ${p.readAddress}${p.readAddress !== p.address ? ` (written at ${p.address})` : ''}`;
    const limits =
      p.min !== undefined || p.max !== undefined
        ? { ...(p.min !== undefined ? { min: p.min } : {}), ...(p.max !== undefined ? { max: p.max } : {}) }
        : undefined;
    return {
      dtype: p.type === 'bool' ? 'boolean' : integer ? 'integer' : 'number',
      description: p.description ?? `${p.type} at ${where}`,
      ...(p.unit !== undefined ? { unit: p.unit } : {}),
      ...(limits ? { limits } : {}),
      monitored: true,
      read: (ctx) => this.readPoint(p, ctx),
      ...(p.writable
        ? {
            write: async (value: SignalValue, ctx: CallContext) => {
              await this.writePoint(p, value, ctx);
              return undefined;
            },
          }
        : {}),
    };
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    const c = this.config;
    const endpoint = this.endpoint;
    if (endpoint.kind !== 'tcp')
      throw new BenchtopError('TRANSPORT_UNSUPPORTED', `${this.id}: Modbus TCP needs a TCP endpoint`);
    const connections = Array.from(
      { length: c.max_connections },
      () =>
        new ModbusConnection(
          new TcpTransport(endpoint.host, endpoint.port, { connectTimeoutMs: c.timeout_ms }),
          {
            unitId: c.unit_id,
            timeoutMs: c.timeout_ms,
            clock: ctx.clock,
            maxInFlight: c.max_in_flight,
          },
        ),
    );
    const bus = this.bus;
    const id = this.id;
    const pool = new ModbusPool(
      connections,
      bus && ((r) => bus.emit('modbus.request', { instrument: id, ...r })),
    );
    pool.onLost((error) => ctx.linkLost(error));
    this.unread.clear();
    try {
      await pool.open(ctx.lifetime);
      this.pool = pool;
      // Everything is read once at connect: a PLC that refuses a configured address says so now.
      await this.scan(ctx);
    } catch (error) {
      this.pool = null;
      await pool.close();
      throw error;
    }
    const failed = [...this.unread.entries()].filter(([, o]) => 'error' in o);
    for (const [name, o] of failed) ctx.log.warn({ point: name }, (o as { error: Error }).error.message);
    // Those values are as old as the connect; the first read scans afresh.
    this.unread.clear();
    return {
      model: 'Modbus TCP PLC',
      raw: `${describeEndpoint(endpoint)} unit ${c.unit_id}, ${this.points.length} points in ${this.blocks.length} requests over ${c.max_connections} connections${c.max_in_flight > 1 ? ` (${c.max_in_flight} in flight each)` : ''}${failed.length ? `, ${failed.length} points unreadable` : ''}`,
    };
  }

  async disconnect(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.unread.clear();
    await pool?.close().catch(() => {});
  }

  private connected(): ModbusPool {
    if (!this.pool) throw new BenchtopError('LINK_LOST', `${this.id}: not connected`);
    return this.pool;
  }

  private async readPoint(p: Point, ctx: CallContext): Promise<SignalValue> {
    if (!this.unread.has(p.name)) await this.scan(ctx);
    const outcome = this.unread.get(p.name);
    this.unread.delete(p.name);
    if (!outcome) throw new BenchtopError('INTERNAL', `${this.id}.${p.name}: the scan did not cover it`);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /** One bulk read of every point; concurrent callers share it. */
  private scan(ctx: DriverContext): Promise<void> {
    this.scanning ??= this.runScan(ctx).finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private async runScan(ctx: DriverContext): Promise<void> {
    // The blocks decode straight into one map: every point is in a block, so a scan that
    // completes replaces the last one's outcomes whole, and one that fails leaves them as they were.
    const outcomes = new Map<string, Outcome>();
    await Promise.all(this.blocks.map((b) => this.readBlock(b, outcomes)));
    this.unread = outcomes;
    ctx.log.trace({ requests: this.blocks.length }, 'scan');
  }

  /**
   * Reads one block and decodes its points into `out`. An exception refuses the whole block, so
   * its points are then read one by one: only the point the PLC refuses gets the error.
   */
  private async readBlock(block: ReadBlock, out: Map<string, Outcome>): Promise<void> {
    const request: ModbusRequest = {
      fc: READ_FC[block.table],
      address: block.start,
      quantity: block.quantity,
    };
    try {
      const reply = await this.connected().request(request);
      for (const p of block.points) out.set(p.name, { value: this.decode(p, reply, block.start) });
      return;
    } catch (error) {
      if (!(error instanceof ModbusExceptionReply)) throw error;
      if (block.points.length === 1) {
        const p = block.points[0]!;
        out.set(p.name, { error: this.exceptionError(p, 'reading', p.readAddress, error) });
        return;
      }
    }
    await Promise.all(
      block.points.map((p) =>
        this.readBlock({ table: p.table, start: p.readAddress, quantity: p.width, points: [p] }, out),
      ),
    );
  }

  private decode(p: Point, reply: ModbusResponse, start: number): SignalValue {
    const offset = p.readAddress - start;
    if ('bits' in reply) return reply.bits[offset] === true;
    if (!('registers' in reply)) throw new BenchtopError('PROTOCOL_ERROR', `${this.id}: unexpected reply`);
    if (offset + p.width > reply.registers.length)
      throw new BenchtopError('PROTOCOL_ERROR', `${this.id}.${p.name}: reply too short`);
    const raw = decodeRegisters(p.type, reply.registers, this.config.word_order, offset);
    if (p.type === 'bool') return raw !== 0;
    return rawToEngineering(p, raw);
  }

  private exceptionError(p: Point, doing: string, address: number, e: ModbusExceptionReply): BenchtopError {
    const code = e.exception.toString(16).padStart(2, '0');
    return new BenchtopError(
      'INSTRUMENT_ERROR',
      `${this.id}.${p.name}: ${doing} ${TABLE_NOUN[p.table]} ${address} (function ${e.fc}) failed: Modbus exception ${code} ${exceptionName(e.exception)}`,
      {
        instrument: this.id,
        point: p.name,
        table: p.table,
        address,
        fc: e.fc,
        exception: e.exception,
        exceptionName: exceptionName(e.exception),
      },
    );
  }

  /** Checks a value against the point before anything is sent; returns what goes in the registers. */
  private rawFor(p: Point, value: SignalValue): number {
    const bad = (message: string, code: 'VALUE_INVALID' | 'VALUE_OUT_OF_RANGE' = 'VALUE_INVALID') =>
      new BenchtopError(code, `${this.id}.${p.name}: ${message}`, {
        instrument: this.id,
        point: p.name,
        value,
      });
    if (p.type === 'bool') {
      if (typeof value !== 'boolean') throw bad(`expects true or false, got ${JSON.stringify(value)}`);
      return value ? 1 : 0;
    }
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw bad(`expects a number, got ${JSON.stringify(value)}`);
    if ((p.min !== undefined && value < p.min) || (p.max !== undefined && value > p.max))
      throw bad(
        `${value}${p.unit ? ` ${p.unit}` : ''} is outside ${p.min ?? '-∞'}…${p.max ?? '∞'}`,
        'VALUE_OUT_OF_RANGE',
      );
    const raw = engineeringToRaw(p, value);
    const range = typeRange(p.type);
    if (range) {
      const whole = Math.round(raw);
      if (!p.scale && whole !== raw) throw bad(`a ${p.type} holds whole numbers, got ${value}`);
      if (whole < range.min || whole > range.max)
        throw bad(`raw ${whole} does not fit a ${p.type} (${range.min}…${range.max})`, 'VALUE_OUT_OF_RANGE');
      return whole;
    }
    return raw;
  }

  private async readWritten(p: Point): Promise<SignalValue> {
    const reply = await this.connected().request({
      fc: READ_FC[p.table],
      address: p.address,
      quantity: p.width,
    });
    return this.decode({ ...p, readAddress: p.address }, reply, p.address);
  }

  private async writePoint(p: Point, value: SignalValue, ctx: CallContext): Promise<void> {
    const raw = this.rawFor(p, value);
    const pool = this.connected();
    const order = this.config.word_order;
    let request: ModbusRequest;
    if (isBitTable(p.table)) request = { fc: 5, address: p.address, value: raw !== 0 };
    else if (p.width === 1)
      request = { fc: 6, address: p.address, value: encodeRegisters(p.type, raw, order)[0]! };
    else request = { fc: 16, address: p.address, values: encodeRegisters(p.type, raw, order) };
    try {
      // The value before, for the log; a PLC that refuses to read it still gets the write.
      const before = await this.readWritten(p).catch((error) => {
        if (error instanceof ModbusExceptionReply) return undefined;
        throw error;
      });
      await pool.request(request);
      const after = await this.readWritten(p);
      this.unread.delete(p.name);
      if (!this.matches(p, value, after)) {
        throw new BenchtopError(
          'INSTRUMENT_ERROR',
          `${this.id}.${p.name}: wrote ${value} to ${TABLE_NOUN[p.table]} ${p.address}, it reads back ${after}`,
          { instrument: this.id, point: p.name, address: p.address, written: value, readBack: after },
        );
      }
      ctx.log.info({ point: p.name, before, after, address: p.address }, `${p.name}: ${before} -> ${after}`);
    } catch (error) {
      if (error instanceof ModbusExceptionReply) throw this.exceptionError(p, 'writing', p.address, error);
      throw error;
    }
  }

  private matches(p: Point, wanted: SignalValue, got: SignalValue): boolean {
    if (typeof wanted === 'boolean') return wanted === got;
    if (typeof got !== 'number' || typeof wanted !== 'number') return false;
    const tolerance = Math.max(p.tolerance ?? this.config.write_tolerance, 1e-6 * Math.abs(wanted));
    return Math.abs(got - wanted) <= tolerance;
  }
}
