import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { ALD_MAP } from './ald-plc-program.ts';
import { modbusPlcKind } from './kind.ts';
import { type ModbusConnection, ModbusExceptionReply } from './modbus-connection.ts';

const createModbusPlcSimulator = (id: string, config: Record<string, unknown>, lab: VirtualLab) =>
  modbusPlcKind.createSimulator!(id, config, lab) as ModbusSimServer;

import { ModbusSimServer } from './modbus-sim-server.ts';
import { connectTo } from './modbus-test-rig.ts';
import { RegisterBank } from './register-bank.ts';
import { decodeRegisters, encodeRegisters, type WordOrder } from './register-values.ts';

const open: { close(): Promise<void> }[] = [];
after(async () => {
  for (const o of open.reverse()) await o.close();
});

async function exceptionOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ModbusExceptionReply) return error.exception;
    throw error;
  }
  return 0;
}

const lab = (clock: ManualClock) =>
  new VirtualLab({ clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });

/** The ALD map as config/ald.toml declares it (the parts these tests touch). */
const aldPoints = [
  ...[0, 10, 11, 15, 16, 17, 18, 19, 20, 37].map((a) => ({
    name: `c${a}`,
    table: 'coil',
    address: a,
    type: 'bool',
  })),
  ...[15, 16, 17, 35, 36, 40, 41].map((a) => ({
    name: `d${a}`,
    table: 'discrete',
    address: a,
    type: 'bool',
  })),
  ...[2000, 2018, 2060, 2062, 2064, 2066, 2082].map((a) => ({
    name: `h${a}`,
    table: 'holding',
    address: a,
    type: 'float32',
  })),
];

async function aldPlc(order: WordOrder) {
  const clock = new ManualClock();
  const server = createModbusPlcSimulator(
    'plc',
    { host: 'x', word_order: order, sim_model: 'ald', points: aldPoints },
    lab(clock),
  );
  await server.listen(0, '127.0.0.1');
  const link = await connectTo(server, { clock });
  open.push(server, link);
  const float = async (address: number) => {
    const r = await link.request({ fc: 3, address, quantity: 2 });
    return decodeRegisters('float32', (r as { registers: number[] }).registers, order);
  };
  const bit = async (fc: 1 | 2, address: number) =>
    ((await link.request({ fc, address, quantity: 1 })) as { bits: boolean[] }).bits[0];
  return { clock, server, link, float, bit };
}

describe('ModbusSimServer', () => {
  it('serves a plain register bank to several clients at once, every function code', async () => {
    const server = new ModbusSimServer({ bank: RegisterBank.plain(), unitId: 17 });
    await server.listen(0, '127.0.0.1');
    open.push(server);
    const links: ModbusConnection[] = [];
    for (let i = 0; i < 3; i++) links.push(await connectTo(server, { unitId: 17 }));
    open.push(...links);
    assert.equal(server.connections, 3);
    const [a, b, c] = links as [ModbusConnection, ModbusConnection, ModbusConnection];
    await Promise.all([
      a.request({ fc: 16, address: 0, values: [1, 2, 3] }),
      b.request({ fc: 15, address: 5, values: [true, false, true] }),
      c.request({ fc: 6, address: 99, value: 0xbeef }),
      a.request({ fc: 5, address: 99, value: true }),
    ]);
    assert.deepEqual(await b.request({ fc: 3, address: 0, quantity: 3 }), { fc: 3, registers: [1, 2, 3] });
    assert.deepEqual(await c.request({ fc: 1, address: 5, quantity: 3 }), {
      fc: 1,
      bits: [true, false, true],
    });
    assert.deepEqual(await a.request({ fc: 3, address: 99, quantity: 1 }), { fc: 3, registers: [0xbeef] });
    assert.deepEqual(await a.request({ fc: 1, address: 99, quantity: 1 }), { fc: 1, bits: [true] });
    assert.deepEqual(
      await b.request({ fc: 23, readAddress: 0, readQuantity: 2, writeAddress: 1, values: [7] }),
      {
        fc: 23,
        registers: [1, 7],
      },
    );
    assert.deepEqual(await c.request({ fc: 2, address: 0, quantity: 2 }), { fc: 2, bits: [false, false] });
    assert.deepEqual(await c.request({ fc: 4, address: 0, quantity: 1 }), { fc: 4, registers: [0] });
    assert.equal(await exceptionOf(a.request({ fc: 3, address: 65535, quantity: 2 })), 2);
    const other = await connectTo(server, { unitId: 3 });
    open.push(other);
    assert.equal(await exceptionOf(other.request({ fc: 3, address: 0, quantity: 1 })), 0x0b, 'no such unit');
  });

  it('answers requests that arrive in one segment (a pipelining client) in order, byte for byte', async () => {
    const bank = RegisterBank.plain();
    bank.setRegisters('holding', 10, [0x1234, 0xabcd, 0x0001]);
    bank.setRegisters('input', 7, [0xfeed]);
    const server = new ModbusSimServer({ bank, unitId: 1 });
    const { port } = await server.listen(0, '127.0.0.1');
    open.push(server);
    const adu = (transaction: number, pdu: number[]) =>
      Buffer.from([transaction >> 8, transaction & 0xff, 0, 0, 0, pdu.length + 1, 1, ...pdu]);
    const requests = [
      adu(0x0101, [3, 0, 10, 0, 3]), // FC3 of 3 holding registers at 10
      adu(0x0102, [4, 0, 7, 0, 1]), // FC4 of 1 input register at 7
      adu(0x0103, [3, 0xff, 0xff, 0, 2]), // runs past 65535: exception 02
      adu(0x0104, [6, 0, 11, 0x55, 0xaa]), // FC6, then read back by the next
      adu(0x0105, [3, 0, 11, 0, 1]),
    ];
    const expected = Buffer.concat([
      adu(0x0101, [3, 6, 0x12, 0x34, 0xab, 0xcd, 0x00, 0x01]),
      adu(0x0102, [4, 2, 0xfe, 0xed]),
      adu(0x0103, [0x83, 2]),
      adu(0x0104, [6, 0, 11, 0x55, 0xaa]),
      adu(0x0105, [3, 2, 0x55, 0xaa]),
    ]);
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    let received = 0;
    const done = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= expected.length) resolve();
      }),
    );
    socket.write(Buffer.concat(requests));
    await done;
    socket.destroy();
    assert.deepEqual(Buffer.concat(chunks), expected);
    assert.deepEqual(
      server.requests.map((r) => r.fc),
      [3, 4, 3, 6, 3],
    );
  });

  it('answers addresses outside a point map with exception 02, and injected exceptions by function and address', async () => {
    const clock = new ManualClock();
    const server = createModbusPlcSimulator(
      'plc',
      { host: 'x', points: [{ name: 'p', table: 'holding', address: 100, type: 'float32' }] },
      lab(clock),
    );
    const link = await connectTo(server, { clock });
    open.push(server, link);
    assert.deepEqual(await link.request({ fc: 3, address: 100, quantity: 2 }), { fc: 3, registers: [0, 0] });
    assert.equal(await exceptionOf(link.request({ fc: 3, address: 100, quantity: 3 })), 2);
    assert.equal(await exceptionOf(link.request({ fc: 1, address: 0, quantity: 1 })), 2);
    server.faults = { exception: { code: 6, fc: 3, address: 101 } };
    assert.equal(await exceptionOf(link.request({ fc: 3, address: 100, quantity: 2 })), 6);
    assert.equal(
      await exceptionOf(link.request({ fc: 16, address: 100, values: [0, 0] })),
      0,
      'only FC3 refused',
    );
    server.faults = { exception: { code: 4 } };
    assert.equal(await exceptionOf(link.request({ fc: 16, address: 100, values: [0, 0] })), 4);
  });

  it('delays replies by the injected latency on the injected clock, and drops connections', async () => {
    const clock = new ManualClock();
    const server = new ModbusSimServer({ bank: RegisterBank.plain(), unitId: 1, clock });
    const link = await connectTo(server, { clock, timeoutMs: 1000 });
    open.push(server, link);
    server.faults = { latencyMs: 300 };
    let answered = false;
    const reply = link.request({ fc: 3, address: 0, quantity: 1 }).then((r) => {
      answered = true;
      return r;
    });
    await clock.advance(299);
    assert.equal(answered, false);
    await clock.advance(1);
    await reply;
    server.faults = { drop: true };
    await assert.rejects(link.request({ fc: 3, address: 0, quantity: 1 }), { code: 'LINK_LOST' });
    assert.equal(server.connections, 0);
  });

  for (const order of ['low_first', 'high_first'] as const) {
    it(`runs the ALD program (${order}): interlocked precursor valve, feedback, peak-hold reset on read`, async () => {
      const { clock, link, float, bit } = await aldPlc(order);
      const { coils, discrete, holding } = ALD_MAP;
      const settle = async (ms: number) => {
        for (let t = 0; t < ms; t += 10) await clock.advance(10);
      };
      await settle(500);
      const base = await float(holding.pressure);
      assert.ok(base > 5 && base < 8, `base pressure ${base} Pa`);
      // Pump off: the coil write is accepted, the valve stays closed, input 40 is raised.
      await link.request({ fc: 5, address: coils.pump, value: false });
      await link.request({ fc: 5, address: coils.firstValve, value: true });
      await settle(50);
      assert.equal(await bit(1, coils.firstValve), true, 'command accepted');
      assert.equal(await bit(2, discrete.firstValveFeedback), false, 'valve held closed');
      assert.equal(await bit(2, discrete.interlock), true);
      await link.request({ fc: 5, address: coils.firstValve, value: false });
      await link.request({ fc: 5, address: coils.pump, value: true });
      await settle(3000);
      assert.equal(await bit(2, discrete.interlock), false);
      // A 100 ms TMA pulse between two reads: the peak register holds it, and reading resets it.
      await float(holding.peakPressure);
      await link.request({ fc: 15, address: coils.firstValve, values: [true] });
      await settle(100);
      assert.equal(await bit(2, discrete.firstValveFeedback), true);
      await link.request({ fc: 5, address: coils.firstValve, value: false });
      await settle(2000);
      const now = await float(holding.pressure);
      const peak = await float(holding.peakPressure);
      assert.ok(peak > now + 20, `peak ${peak} Pa held after the pulse (now ${now} Pa)`);
      const again = await float(holding.peakPressure);
      assert.ok(again < now + 2, `reset by the read: ${again}`);
      // Setpoints written as floats in the configured word order drive the chamber.
      await link.request({
        fc: 16,
        address: holding.mfcSetpoint,
        values: encodeRegisters('float32', 120, order),
      });
      await settle(3000);
      assert.ok(Math.abs((await float(holding.mfcActual)) - 120) < 3);
      assert.equal(await float(holding.mfcSetpoint), 120);
    });
  }
});
