import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, systemClock } from '../../core/clock.ts';
import type { DriverContext } from '../../core/device.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { instrumentKinds } from '../catalog.ts';
import { scpiKind } from './kind.ts';

function context(): DriverContext & { lost: unknown[] } {
  const lost: unknown[] = [];
  return {
    id: 'dmm',
    clock: systemClock,
    log: silentLogger(),
    lifetime: new AbortController().signal,
    linkLost: (e) => lost.push(e),
    publish: () => {},
    lost,
  };
}

const lab = () =>
  new VirtualLab({ clock: new ManualClock(), seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });

describe('scpiKind', () => {
  it('is registered in the catalog as ScpiInstrument', () => {
    assert.equal(instrumentKinds.ScpiInstrument, scpiKind);
  });

  it('in simulation mode talks to its simulator whatever the resource says, with the configured termination', async () => {
    const config = { resource: 'TCPIP0::192.0.2.1::INSTR', read_termination: '\r\n' };
    const server = scpiKind.createSimulator!('dmm', config, lab()) as LineSimulatorServer;
    const { host, port } = await server.listen(0, '127.0.0.1');
    const driver = scpiKind.createDriver('dmm', config, {
      clock: systemClock,
      log: silentLogger(),
      simulatorEndpoint: { kind: 'tcp', host, port },
    });
    try {
      const identity = await driver.connect(context());
      assert.equal(identity.model, 'SIM-DMM6500');
      assert.deepEqual(server.received, ['*IDN?', 'SYST:ERR?']);
    } finally {
      await driver.disconnect();
      await server.close();
    }
  });

  it('a resource it cannot use fails the connect with a clear code', async () => {
    for (const [resource, expected] of [
      ['GPIB0::5::INSTR', 'TRANSPORT_UNSUPPORTED'],
      ['TCPIP0::host::hislip0::INSTR', 'TRANSPORT_UNSUPPORTED'],
      ['nonsense', 'RESOURCE_INVALID'],
    ] as const) {
      const driver = scpiKind.createDriver('dmm', { resource }, { clock: systemClock, log: silentLogger() });
      await assert.rejects(driver.connect(context()), (e) => isBenchtopError(e, expected), resource);
    }
  });

  it('refuses signal declarations that cannot work, naming the signal', () => {
    const make = (signals: unknown[]) =>
      scpiKind.createDriver(
        'dmm',
        { resource: 'TCPIP0::h::5025::SOCKET', signals },
        { clock: systemClock, log: silentLogger() },
      );
    const invalid = (e: unknown) => isBenchtopError(e, 'CONFIG_INVALID');
    assert.throws(() => make([{ name: 'idn', query: '*IDN?' }]), invalid);
    assert.throws(
      () =>
        make([
          { name: 'v', query: 'A?' },
          { name: 'v', query: 'B?' },
        ]),
      invalid,
    );
    assert.throws(() => make([{ name: 'v' }]), invalid);
    assert.throws(() => make([{ name: 'v', set: 'X {value}', min: 2, max: 1 }]), invalid);
    assert.throws(
      () => make([{ name: 'v', set: 'X {value}', choices: ['A'] }]),
      (e) => invalid(e) && /dtype "string"/.test((e as Error).message),
    );
    assert.doesNotThrow(() => make([{ name: 'v', query: 'A?' }]));
  });
});

describe('ScpiDriver connect', () => {
  it('an instrument that never answers SYST:ERR? gets a hint to turn check_errors off', async () => {
    const server = new LineSimulatorServer(
      'NoQueue',
      { handle: (line) => (line === '*IDN?' ? 'Acme,Meter 1,123,1.0' : undefined) },
      { readTerminator: '\n', replyTerminator: '\n' },
    );
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const strict = scpiKind.createDriver(
        'meter',
        { resource: `TCPIP0::127.0.0.1::${port}::SOCKET`, timeout_ms: 200 },
        { clock: systemClock, log: silentLogger() },
      );
      await assert.rejects(
        strict.connect(context()),
        (e) => isBenchtopError(e, 'INSTRUMENT_TIMEOUT') && /check_errors = false/.test(e.message),
      );
      const lenient = scpiKind.createDriver(
        'meter',
        { resource: `TCPIP0::127.0.0.1::${port}::SOCKET`, timeout_ms: 200, check_errors: false },
        { clock: systemClock, log: silentLogger() },
      );
      assert.deepEqual(await lenient.connect(context()), {
        manufacturer: 'Acme',
        model: 'Meter 1',
        serial: '123',
        firmware: '1.0',
        raw: 'Acme,Meter 1,123,1.0',
      });
      await lenient.disconnect();
    } finally {
      await server.close();
    }
  });
});
