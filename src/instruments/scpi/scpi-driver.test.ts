import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { scpiKind } from './kind.ts';
import { parseNumber } from './scpi-codec.ts';
import { type ScpiRig, type ScpiTransport, startScpiRig } from './scpi-test-rig.ts';
import { Vxi11Link } from './vxi11/vxi11-link.ts';
import { Vxi11 } from './vxi11/vxi11-protocol.ts';
import type { Vxi11SimulatorServer } from './vxi11/vxi11-sim-server.ts';

const signals = [
  { name: 'voltage', query: 'MEAS:VOLT:DC?', unit: 'V', poll: true, description: 'Photodiode voltage' },
  { name: 'range', query: 'VOLT:DC:RANG?', set: 'VOLT:DC:RANG {value}', unit: 'V', min: 0.1, max: 1000 },
  { name: 'autorange', query: 'VOLT:DC:RANG:AUTO?', set: 'VOLT:DC:RANG:AUTO {value}', dtype: 'boolean' },
  { name: 'config', query: 'CONF?', dtype: 'string' },
  { name: 'auto_text', set: 'VOLT:DC:RANG:AUTO {value}', dtype: 'string', choices: ['ON', 'OFF', 'MAYBE'] },
  { name: 'errors', query: 'SYST:ERR:COUN?', dtype: 'integer' },
];

/** Light on the photodiode, so readings are volts rather than the dark offset. */
async function lightOn(rig: ScpiRig) {
  rig.lab.laser.emission = true;
  rig.lab.laser.setShutter(true);
  await rig.labClock.advance(1_000);
}

const code = (expected: string) => (e: unknown) => isBenchtopError(e) && e.code === expected;

for (const transport of ['socket', 'vxi11'] as ScpiTransport[]) {
  describe(`ScpiDriver over ${transport}: signals and actions`, () => {
    let rig: ScpiRig;
    before(async () => {
      rig = await startScpiRig({ transport, config: { signals } });
      await lightOn(rig);
    });
    after(() => rig.close());

    it('identifies the instrument at connect', () => {
      assert.equal(rig.instrument.state, 'ready');
      assert.deepEqual(
        { ...rig.instrument.identity, raw: undefined },
        {
          manufacturer: 'Benchtop',
          model: 'SIM-DMM6500',
          serial: '04000001',
          firmware: '1.2.0',
          raw: undefined,
        },
      );
    });

    it('describes idn, the declared signals and the actions', () => {
      const d = rig.instrument.describe();
      assert.deepEqual(
        d.signals.map((s) => [s.name, s.dtype, s.readable, s.writable, s.monitored]),
        [
          ['idn', 'string', true, false, false],
          ['voltage', 'number', true, false, true],
          ['range', 'number', true, true, false],
          ['autorange', 'boolean', true, true, false],
          ['config', 'string', true, false, false],
          ['auto_text', 'enum', false, true, false],
          ['errors', 'integer', true, false, false],
        ],
      );
      const range = d.signals.find((s) => s.name === 'range')!;
      assert.deepEqual(range.limits, { min: 0.1, max: 1000 });
      assert.equal(range.unit, 'V');
      assert.equal(d.signals.find((s) => s.name === 'voltage')!.description, 'Photodiode voltage');
      assert.deepEqual(d.signals.find((s) => s.name === 'auto_text')!.choices, ['ON', 'OFF', 'MAYBE']);
      assert.deepEqual(
        d.actions.map((a) => a.name),
        ['reset', 'clear', 'device_clear', 'opc', 'query', 'write'],
      );
    });

    it('reads the photodiode voltage the lab predicts', async () => {
      const expected = 1.2e-3 + rig.lab.photodiodeVPerW * rig.lab.beamPowerW();
      const reading = await rig.instrument.read('voltage');
      assert.equal(reading.unit, 'V');
      assert.ok(Math.abs((reading.value as number) - expected) < 1e-3, `${reading.value} vs ${expected}`);
      assert.deepEqual(rig.takeReceived().slice(-1), ['MEAS:VOLT:DC?']);
    });

    it('reads idn, strings and booleans', async () => {
      assert.match((await rig.instrument.read('idn')).value as string, /^Benchtop,SIM-DMM6500,/);
      assert.equal((await rig.instrument.read('config')).value, 'VOLT +1.00000000E+01,+3.00000000E-06');
      assert.equal((await rig.instrument.read('autorange')).value, true);
      assert.equal((await rig.instrument.read('errors')).value, 0);
    });

    it('writes a signal, then drains the error queue', async () => {
      rig.takeReceived();
      await rig.instrument.write('range', 100);
      assert.deepEqual(rig.takeReceived(), ['VOLT:DC:RANG 100', 'SYST:ERR?']);
      assert.equal((await rig.instrument.read('range')).value, 100);
      assert.equal((await rig.instrument.read('autorange')).value, false);
      rig.takeReceived();
      await rig.instrument.write('autorange', true);
      assert.deepEqual(rig.takeReceived(), ['VOLT:DC:RANG:AUTO 1', 'SYST:ERR?']);
      assert.equal((await rig.instrument.read('autorange')).value, true);
    });

    it('an error the instrument queued after a write becomes INSTRUMENT_ERROR with its SCPI code', async () => {
      await assert.rejects(rig.instrument.write('auto_text', 'MAYBE'), (e) => {
        assert.ok(isBenchtopError(e, 'INSTRUMENT_ERROR'));
        assert.equal(e.details.instrumentCode, -224);
        assert.equal(e.details.command, 'VOLT:DC:RANG:AUTO MAYBE');
        assert.match(e.message, /^dmm: -224 Illegal parameter value/);
        return true;
      });
      await assert.rejects(rig.instrument.call('write', { command: 'VOLT:DC:RANG 5000;:FOO' }), (e) => {
        assert.ok(isBenchtopError(e, 'INSTRUMENT_ERROR'));
        assert.deepEqual(
          (e.details.errors as { code: number }[]).map((x) => x.code),
          [-222, -113],
        );
        return true;
      });
      assert.equal(rig.instrument.state, 'ready', 'an instrument error is not a link fault');
      assert.equal(rig.protocol.errors.length, 0, 'the queue was drained');
      assert.equal((await rig.instrument.read('errors')).value, 0);
    });

    it('a query the instrument rejects (no reply) is reported from the error queue, not as a timeout', async () => {
      await assert.rejects(rig.instrument.call('query', { command: 'MEAS:FOO?' }), (e) => {
        assert.ok(isBenchtopError(e, 'INSTRUMENT_ERROR'));
        assert.equal(e.details.instrumentCode, -113);
        assert.equal(e.details.command, 'MEAS:FOO?');
        return true;
      });
      assert.equal(rig.instrument.state, 'ready');
    });

    it('query and write actions', async () => {
      assert.match(
        (await rig.instrument.call('query', { command: '*IDN?' })) as string,
        /^Benchtop,SIM-DMM6500/,
      );
      assert.equal(await rig.instrument.call('write', { command: 'VOLT:DC:RANG 1' }), undefined);
      assert.equal(await rig.instrument.call('query', { command: 'VOLT:DC:RANG?' }), '+1.00000000E+00');
      const chained = (await rig.instrument.call('query', { command: 'READ?;:SYST:ERR?' })) as string;
      assert.match(chained, /^\+9\.90000000E\+37;0,"No error"$/, 'overload on the 1 V range');
    });

    it('reset, clear and opc', async () => {
      rig.takeReceived();
      assert.equal(await rig.instrument.call('reset'), undefined);
      assert.deepEqual(rig.takeReceived(), ['*RST', 'SYST:ERR?', '*OPC?']);
      assert.equal((await rig.instrument.read('autorange')).value, true, '*RST restored autorange');
      rig.protocol.handle('FOO');
      assert.equal(rig.protocol.errors.length, 1);
      await rig.instrument.call('clear');
      assert.equal(rig.protocol.errors.length, 0);
      assert.equal(await rig.instrument.call('opc'), 1);
    });

    it(`device_clear: ${transport === 'vxi11' ? 'VXI-11 device_clear' : 'refused, a byte stream has none'}`, async () => {
      if (transport === 'vxi11') {
        const server = rig.server as Vxi11SimulatorServer;
        server.calls.length = 0;
        assert.equal(await rig.instrument.call('device_clear'), undefined);
        assert.deepEqual(server.calls, [Vxi11.DEVICE_CLEAR]);
      } else {
        await assert.rejects(rig.instrument.call('device_clear'), (e) => {
          assert.ok(isBenchtopError(e, 'TRANSPORT_UNSUPPORTED'));
          assert.match(e.message, /no device clear; it needs a VXI-11 resource/);
          return true;
        });
      }
      assert.equal(rig.instrument.state, 'ready');
      assert.match((await rig.instrument.read('idn')).value as string, /^Benchtop,/);
    });

    it('rejects bad values and arguments before anything reaches the wire', async () => {
      rig.takeReceived();
      await assert.rejects(rig.instrument.write('range', 5000), code('VALUE_OUT_OF_RANGE'));
      await assert.rejects(rig.instrument.write('range', 0.01), code('VALUE_OUT_OF_RANGE'));
      await assert.rejects(rig.instrument.write('range', 'ten'), code('VALUE_INVALID'));
      await assert.rejects(rig.instrument.write('autorange', 1), code('VALUE_INVALID'));
      await assert.rejects(rig.instrument.write('auto_text', 'SOMETIMES'), code('VALUE_INVALID'));
      await assert.rejects(rig.instrument.write('voltage', 1), code('SIGNAL_READ_ONLY'));
      await assert.rejects(rig.instrument.read('auto_text'), code('SIGNAL_WRITE_ONLY'));
      await assert.rejects(
        rig.instrument.call('query', { command: '*IDN?\n*RST' }),
        code('VALIDATION_FAILED'),
      );
      await assert.rejects(rig.instrument.call('write', {}), code('VALIDATION_FAILED'));
      await assert.rejects(rig.instrument.call('write', { command: '' }), code('VALIDATION_FAILED'));
      await assert.rejects(rig.instrument.call('query', { command: 7 }), code('VALIDATION_FAILED'));
      assert.deepEqual(rig.takeReceived(), []);
    });
  });

  describe(`ScpiDriver over ${transport}: polling`, () => {
    it('publishes the monitored voltage without being asked', async () => {
      const rig = await startScpiRig({ transport, config: { signals }, pollIntervalMs: 10 });
      try {
        const reading = await rig.bus.once('instrument.reading', (r) => r.signal === 'voltage');
        assert.equal(reading.instrument, 'dmm');
        assert.equal(typeof reading.value, 'number');
        assert.ok(
          rig.readings.every((r) => r.signal === 'voltage'),
          'only monitored signals are polled',
        );
      } finally {
        await rig.close();
      }
    });
  });

  describe(`ScpiDriver over ${transport}: faults`, () => {
    let rig: ScpiRig;
    before(async () => {
      rig = await startScpiRig({ transport, config: { signals } });
    });
    after(() => rig.close());

    /** Fault → the command fails with `expected`, the actor restarts, and comes back once the fault clears. */
    async function faultAndRecover(fault: Parameters<ScpiRig['server']['setFault']>[0], expected: string) {
      const restarting = rig.nextState('restarting');
      rig.server.setFault(fault);
      await assert.rejects(rig.instrument.read('voltage'), code(expected));
      const change = await restarting;
      assert.equal(change.error?.code, expected);
      const ready = rig.nextState('ready');
      rig.server.setFault({ kind: 'none' });
      await ready;
      assert.equal(typeof (await rig.instrument.read('voltage')).value, 'number');
    }

    it('garbage reply → PROTOCOL_ERROR, reconnect', () =>
      faultAndRecover({ kind: 'garbage' }, 'PROTOCOL_ERROR'));

    it('truncated reply → a clear error, reconnect', () =>
      faultAndRecover(
        { kind: 'truncate' },
        transport === 'socket' ? 'INSTRUMENT_TIMEOUT' : 'PROTOCOL_ERROR',
      ));

    it('reply after the timeout → INSTRUMENT_TIMEOUT, reconnect', () =>
      faultAndRecover({ kind: 'delay', ms: 800 }, 'INSTRUMENT_TIMEOUT'));

    it('no reply at all → INSTRUMENT_TIMEOUT, reconnect', () =>
      faultAndRecover({ kind: 'silent' }, 'INSTRUMENT_TIMEOUT'));

    it('connection dropped mid-command → LINK_LOST, reconnect', () =>
      faultAndRecover({ kind: 'disconnect' }, 'LINK_LOST'));

    it('simulator closed: commands fail fast while it is gone; restarted on the same port: ready again', async () => {
      const restarting = rig.nextState('restarting');
      await rig.stopSimulator();
      const change = await restarting;
      assert.equal(change.error?.code, 'LINK_LOST');
      await assert.rejects(rig.instrument.read('voltage'), code('INSTRUMENT_UNAVAILABLE'));
      await assert.rejects(
        rig.instrument.call('query', { command: '*IDN?' }),
        code('INSTRUMENT_UNAVAILABLE'),
      );
      const ready = rig.nextState('ready');
      await rig.startSimulator();
      await ready;
      const volts = parseNumber((await rig.instrument.call('query', { command: 'MEAS:VOLT?' })) as string);
      assert.equal(typeof volts, 'number');
      assert.ok(rig.states.some((s) => s.state === 'failed'));
    });
  });
}

describe('ScpiDriver: lock = true', () => {
  it('over VXI-11 holds the device lock from connect to disconnect; another client is locked out', async () => {
    const rig = await startScpiRig({ transport: 'vxi11', config: { lock: true } });
    const server = rig.server as Vxi11SimulatorServer;
    const other = new Vxi11Link({
      host: '127.0.0.1',
      device: 'inst0',
      portmapperPort: rig.port,
      timeoutMs: 300,
      clock: systemClock,
      readTermination: '\n',
      writeTermination: '\n',
    });
    try {
      assert.notEqual(server.lockHolder, null);
      await other.open();
      await assert.rejects(
        other.query('*IDN?'),
        (e) => isBenchtopError(e, 'INSTRUMENT_UNAVAILABLE') && e.details.vxi11Error === 11,
      );
      assert.match((await rig.instrument.read('idn')).value as string, /^Benchtop,/, 'the holder goes on');
    } finally {
      await other.close();
      server.calls.length = 0;
      await rig.close();
    }
    assert.ok(
      server.calls.includes(Vxi11.DESTROY_LINK),
      'disconnect destroyed the link, which releases the lock',
    );
  });

  it('on a resource without a device lock is a configuration error', () => {
    assert.throws(
      () =>
        scpiKind.createDriver(
          'dmm',
          { resource: 'TCPIP0::127.0.0.1::5025::SOCKET', lock: true },
          { clock: systemClock, log: silentLogger() },
        ),
      (e) => isBenchtopError(e, 'CONFIG_INVALID') && /lock = true needs a VXI-11 resource/.test(e.message),
    );
  });
});
