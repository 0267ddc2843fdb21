import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
import { modbusPlcKind } from './kind.ts';
import type { ModbusPlcDriver } from './modbus-plc-driver.ts';
import { ModbusSimServer } from './modbus-sim-server.ts';
import { planReads, toPoint } from './point-table.ts';
import { RegisterBank } from './register-bank.ts';
import { decodeRegisters, encodeRegisters, type WordOrder } from './register-values.ts';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

const floats = (n: number, start = 2000) =>
  Array.from({ length: n }, (_, i) => ({
    name: `f${i}`,
    table: 'holding',
    address: start + 2 * i,
    type: 'float32',
  }));

async function rig(
  points: Record<string, unknown>[],
  options: { order?: WordOrder; pollIntervalMs?: number } = {},
) {
  const order = options.order ?? 'low_first';
  const config = { host: '127.0.0.1', word_order: order, timeout_ms: 1000, max_connections: 2, points };
  const server = new ModbusSimServer({
    bank: RegisterBank.forPoints(points.map((p) => toPoint(p as never))),
    unitId: 1,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const bus = new EventBus<BenchtopEvents>();
  const states: string[] = [];
  bus.on('actor.state', (c) => states.push(c.state));
  const driver = modbusPlcKind.createDriver(
    'plc',
    { ...config, port },
    { clock: systemClock, log: silentLogger() },
  ) as ModbusPlcDriver;
  const spawned = await spawnInstrument({
    id: 'plc',
    driver,
    bus,
    pollIntervalMs: options.pollIntervalMs ?? 0,
  });
  cleanup.push(
    () => spawned.stop(),
    () => server.close(),
  );
  const setFloat = (address: number, v: number) =>
    server.bank.setRegisters('holding', address, encodeRegisters('float32', v, order));
  return { server, driver, instrument: spawned.instrument, bus, states, setFloat, order };
}

describe('ModbusPlc read planning', () => {
  it('merges 20 contiguous floats into one request and splits at the 125-register limit and at gaps over max_gap', () => {
    assert.deepEqual(
      planReads(floats(20).map(toPoint as never), 10).map((b) => [b.table, b.start, b.quantity]),
      [['holding', 2000, 40]],
    );
    assert.deepEqual(
      planReads(floats(70).map(toPoint as never), 10).map((b) => [b.start, b.quantity]),
      [
        [2000, 124],
        [2124, 16],
      ],
    );
    const gapped = [...floats(2, 0), ...floats(1, 14), ...floats(1, 40)].map((p, i) =>
      toPoint({ ...p, name: `p${i}` } as never),
    );
    assert.deepEqual(
      planReads(gapped, 10).map((b) => [b.start, b.quantity]),
      [
        [0, 16],
        [40, 2],
      ],
    );
    const bits = Array.from({ length: 2001 }, (_, i) =>
      toPoint({ name: `c${i}`, table: 'coil', address: i, type: 'bool' } as never),
    );
    assert.deepEqual(
      planReads(bits, 0).map((b) => [b.table, b.start, b.quantity]),
      [
        ['coil', 0, 2000],
        ['coil', 2000, 1],
      ],
    );
  });
});

describe('ModbusPlcDriver', () => {
  for (const order of ['low_first', 'high_first'] as const) {
    it(`reads 20 float points in one request per poll (${order}), scaled points in engineering units`, async () => {
      const points = [
        ...floats(20),
        {
          name: 'flow',
          table: 'holding',
          address: 2100,
          type: 'float32',
          raw_range: [0, 10],
          range: [0, 200],
          unit: 'sccm',
        },
        { name: 'pump', table: 'coil', address: 10, type: 'bool' },
        { name: 'count', table: 'input', address: 5, type: 'int32' },
      ];
      const r = await rig(points, { order });
      assert.equal(r.instrument.state, 'ready');
      assert.equal(r.server.connections, 2, 'the pool');
      r.setFloat(2000, 1.5);
      r.setFloat(2038, -273.25);
      r.setFloat(2100, 2.5);
      r.server.bank.setBit('coil', 10, true);
      r.server.bank.setRegisters('input', 5, encodeRegisters('int32', -70000, order));
      r.server.requests.length = 0;
      const values = new Map<string, unknown>();
      for (const name of Object.keys(r.driver.signals))
        values.set(name, (await r.instrument.read(name)).value);
      assert.equal(values.get('f0'), 1.5);
      assert.equal(values.get('f19'), -273.25);
      assert.equal(values.get('flow'), 50);
      assert.equal(values.get('pump'), true);
      assert.equal(values.get('count'), -70000);
      // One scan for 23 reads: the 20 floats in one request; 2100 is 60 registers on, past max_gap.
      assert.deepEqual(
        r.server.requests
          .map((q) => [q.fc, (q as { address: number }).address, (q as { quantity: number }).quantity])
          .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
        [
          [1, 10, 1],
          [3, 2000, 40],
          [3, 2100, 2],
          [4, 5, 2],
        ],
      );
      assert.equal(r.driver.signals.count!.dtype, 'integer');
      assert.equal(r.driver.signals.flow!.unit, 'sccm');
    });
  }

  it('writes: refused outside min/max before any byte is sent; written, read back and compared; int32 as an integer', async () => {
    const r = await rig([
      {
        name: 'mfc1_setpoint',
        table: 'holding',
        address: 2066,
        type: 'float32',
        writable: true,
        min: 0,
        max: 200,
        unit: 'sccm',
        read_address: 2082,
      },
      { name: 'steps', table: 'holding', address: 10, type: 'int32', writable: true },
      { name: 'valve1', table: 'coil', address: 15, type: 'bool', writable: true },
    ]);
    r.server.requests.length = 0;
    await assert.rejects(r.driver.signals.mfc1_setpoint!.write!(250, {} as never), {
      code: 'VALUE_OUT_OF_RANGE',
    });
    await assert.rejects(r.instrument.write('mfc1_setpoint', -1), { code: 'VALUE_OUT_OF_RANGE' });
    await assert.rejects(r.driver.signals.steps!.write!(1.5, {} as never), { code: 'VALUE_INVALID' });
    assert.equal(r.server.requests.length, 0, 'nothing sent');
    await r.instrument.write('mfc1_setpoint', 150.5);
    assert.equal(decodeRegisters('float32', r.server.bank.registers('holding', 2066, 2), r.order), 150.5);
    await r.instrument.write('steps', 123456);
    assert.deepEqual(r.server.bank.registers('holding', 10, 2), encodeRegisters('int32', 123456, r.order));
    await r.instrument.write('valve1', true);
    assert.equal(r.server.bank.bit('coil', 15), true);
    assert.deepEqual(
      r.server.requests.filter((q) => q.fc >= 5).map((q) => q.fc),
      [16, 16, 5],
    );
    // The actual value comes from read_address, not from the setpoint register.
    r.setFloat(2082, 149.75);
    assert.equal((await r.instrument.read('mfc1_setpoint')).value, 149.75);
    // A PLC that does not take the value (clamps it) fails the read-back comparison.
    r.server.bank.program = {
      afterWrite: (bank) => bank.setRegisters('holding', 2066, encodeRegisters('float32', 100, r.order)),
    };
    await assert.rejects(r.instrument.write('mfc1_setpoint', 180), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INSTRUMENT_ERROR');
      assert.match(e.message, /wrote 180 to holding register 2066, it reads back 100/);
      return true;
    });
  });

  it('names point, table, address and exception; only the refused point fails', async () => {
    const r = await rig([
      ...floats(3),
      { name: 'valve1', table: 'coil', address: 15, type: 'bool', writable: true },
    ]);
    r.server.faults = { exception: { code: 2, fc: 3, address: 2002 } };
    await assert.rejects(
      r.instrument.read('f1'),
      (e: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(e.code, 'INSTRUMENT_ERROR');
        assert.match(
          e.message,
          /plc\.f1: reading holding register 2002 \(function 3\) failed: Modbus exception 02 illegal data address/,
        );
        assert.deepEqual(
          [e.details?.point, e.details?.table, e.details?.address, e.details?.exception],
          ['f1', 'holding', 2002, 2],
        );
        return true;
      },
    );
    assert.equal((await r.instrument.read('f0')).value, 0);
    assert.equal((await r.instrument.read('f2')).value, 0);
    r.server.faults = { exception: { code: 6, fc: 5 } };
    await assert.rejects(
      r.instrument.write('valve1', true),
      /plc\.valve1: writing coil 15 \(function 5\) failed: Modbus exception 06 server device busy/,
    );
    assert.equal(r.instrument.state, 'ready', 'an exception is not a link fault');
  });

  it('on link loss reconnects with backoff and reads everything again', async () => {
    const r = await rig(floats(2), { pollIntervalMs: 50 });
    r.setFloat(2000, 7);
    const restarted = r.bus.once('actor.state', (c) => c.state === 'restarting');
    r.server.dropConnections();
    await restarted;
    const ready = r.bus.once('actor.state', (c) => c.state === 'ready');
    await ready;
    const reread = r.bus.once('instrument.reading', (x) => x.signal === 'f0' && x.value === 8);
    r.setFloat(2000, 8);
    await reread;
    assert.equal(r.states.filter((s) => s === 'restarting').length, 1, 'one failure for the whole PLC');
  });
});

describe('ModbusPlc config', () => {
  it('reports overlapping registers, a float that does not fit and writable read-only tables at their lines', () => {
    const text = `
[[instruments]]
id = "plc"
type = "ModbusPlc"
[instruments.config]
host = "127.0.0.1"
[[instruments.config.points]]
name = "a"
table = "holding"
address = 100
type = "float32"
[[instruments.config.points]]
name = "b"
table = "holding"
address = 101
type = "int16"
[[instruments.config.points]]
name = "c"
table = "holding"
address = 65535
type = "float32"
[[instruments.config.points]]
name = "d"
table = "discrete"
address = 3
type = "bool"
writable = true
[[instruments.config.points]]
name = "e"
table = "input"
address = 3
writable = true
`;
    assert.throws(
      () => loadBenchtopConfig({ text, file: 'plc.toml' }),
      (e: Error & { issues?: { line?: number; message: string }[] }) => {
        const lines = (e.issues ?? []).map((i) => [i.line, i.message.split(' ').slice(0, 4).join(' ')]);
        assert.deepEqual(lines, [
          [20, 'a float32 takes 2'],
          [27, 'a discrete input cannot'],
          [32, 'an input register cannot'],
          [15, 'holding 101–101 (int16 "b")'],
        ]);
        assert.match(e.message, /overlaps 100–101 \(float32 "a", points\[0\]\)/);
        return true;
      },
    );
  });

  it('appends the points of points_file (relative to the config) and reports their problems at their line there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-points-'));
    try {
      const main = (pointsFile: string) => `
[[instruments]]
id = "plc"
type = "ModbusPlc"
[instruments.config]
host = "127.0.0.1"
points_file = "${pointsFile}"
[[instruments.config.points]]
name = "inline"
table = "coil"
address = 1
type = "bool"
`;
      writeFileSync(join(dir, 'plc.toml'), main('ald-points.toml'));
      writeFileSync(
        join(dir, 'ald-points.toml'),
        '[[points]]\nname = "pressure"\ntable = "holding"\naddress = 2060\nunit = "Pa"\n\n[[points]]\nname = "tc"\ntable = "input"\naddress = 7\ntype = "int16"\n',
      );
      const { config } = loadBenchtopConfig({ file: join(dir, 'plc.toml') });
      const points = config.instruments[0]!.config.points as { name: string; type: string }[];
      assert.deepEqual(
        points.map((p) => [p.name, p.type]),
        [
          ['inline', 'bool'],
          ['pressure', 'float32'],
          ['tc', 'int16'],
        ],
      );
      writeFileSync(
        join(dir, 'ald-points.toml'),
        '[[points]]\nname = "p"\ntable = "input"\naddress = 3\nwritable = true\n',
      );
      assert.throws(
        () => loadBenchtopConfig({ file: join(dir, 'plc.toml') }),
        /points\[1\]\.writable: an input register cannot be written.*\(from ald-points\.toml, line 5\)/,
      );
      writeFileSync(join(dir, 'plc.toml'), main('missing.toml'));
      assert.throws(
        () => loadBenchtopConfig({ file: join(dir, 'plc.toml') }),
        /points_file: cannot read .*missing\.toml: file not found \(line 7/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
