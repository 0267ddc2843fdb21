import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Clock, ManualClock, systemClock } from '../../core/clock.ts';
import type { CallContext, Completion } from '../../core/device.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { type LineProtocol, LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { maiTaiPowerW } from '../../sim/physics.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { TcpTransport } from '../../transports/tcp-transport.ts';
import { typedConfig } from '../kind.ts';
import { faultThenRecover, powerCycle, replyFaultDrills } from '../testing/fault-drills.ts';
import { eventually, type SimRig, startSimRig } from '../testing/sim-rig.ts';
import { MaiTaiConfig } from './config.ts';
import { maiTaiKind } from './kind.ts';
import { MaiTaiDriver } from './maitai-driver.ts';
import { MaiTaiSimProtocol } from './maitai-sim.ts';

const newLab = (clock: Clock = new ManualClock(), warmupS = 20) =>
  new VirtualLab({ clock, seed: 9, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS });

/**
 * The real simulator, except that the lines in `replies` (upper case) get these answers
 * instead; null swallows the line (the laser ignores it).
 */
function overriding(protocol: LineProtocol, replies: Record<string, string | null>): LineProtocol {
  return {
    handle: (line) => {
      const key = line.trim().toUpperCase();
      return key in replies ? (replies[key] ?? undefined) : protocol.handle(line);
    },
  };
}

const simServer = (protocol: LineProtocol) =>
  new LineSimulatorServer('MaiTai', protocol, { readTerminator: '\r|\n', replyTerminator: '\n' });

async function laserRig(
  options: {
    lab?: VirtualLab;
    config?: Record<string, unknown>;
    replies?: Record<string, string | null>;
  } = {},
) {
  const lab = options.lab ?? newLab();
  const rig = await startSimRig({
    kind: maiTaiKind,
    id: 'laser',
    lab,
    config: { shutter_settle_ms: 50, ...options.config },
    makeServer: () => simServer(overriding(new MaiTaiSimProtocol(lab), options.replies ?? {})),
  });
  assert.equal(rig.instrument.state, 'ready');
  return { rig, lab, clock: lab.clock as ManualClock };
}

/** Lines the simulator received since `from`. */
const sentSince = (rig: SimRig, from: number) => rig.server.received.slice(from);

describe('MaiTai driver on its simulator', () => {
  let rig: SimRig;
  let lab: VirtualLab;
  let clock: ManualClock;
  before(async () => {
    ({ rig, lab, clock } = await laserRig());
  });
  after(() => rig.close());

  it('identifies the laser and leaves the watchdog alone unless configured', () => {
    assert.deepEqual(rig.instrument.identity, {
      model: 'Spectra Physics MaiTai',
      serial: '3417',
      firmware: '0245-2.00.34',
      raw: 'Spectra Physics,MaiTai,3417,0245-2.00.34',
    });
    assert.equal(rig.server.received[0], '*IDN?');
    assert.ok(!rig.server.received.some((l) => l.startsWith('TIMER')));
  });

  it('describes every signal', () => {
    const s = Object.fromEntries(rig.instrument.describe().signals.map((x) => [x.name, x]));
    assert.deepEqual(Object.keys(s).sort(), [
      'emission',
      'humidity',
      'mode_locked',
      'power',
      'shutter',
      'warmup',
      'wavelength',
      'wavelength_actual',
    ]);
    assert.deepEqual(s.wavelength!.limits, { min: 690, max: 1040 });
    assert.equal(s.wavelength!.completes, true);
    assert.equal(s.shutter!.completes, true);
    assert.equal(s.power!.unit, 'W');
    assert.equal(s.power!.monitored, true);
    assert.equal(s.wavelength_actual!.monitored, true);
    assert.equal(s.wavelength_actual!.writable, false);
    assert.equal(s.warmup!.unit, '%');
  });

  it('reads every signal', async () => {
    const values: Record<string, unknown> = {};
    for (const name of [
      'wavelength',
      'wavelength_actual',
      'power',
      'shutter',
      'emission',
      'mode_locked',
      'warmup',
      'humidity',
    ]) {
      values[name] = (await rig.instrument.read(name)).value;
    }
    assert.deepEqual(values, {
      wavelength: 800,
      wavelength_actual: 800,
      power: 0,
      shutter: false,
      emission: false,
      mode_locked: false,
      warmup: 0,
      humidity: 3.2,
    });
  });

  it('interlock: emission is refused while warming up, and ON is never sent', async () => {
    await clock.advance(10_000);
    const from = rig.server.received.length;
    await assert.rejects(
      rig.instrument.write('emission', true),
      (e) => isBenchtopError(e, 'INTERLOCK') && e.details.warmupPercent === 50,
    );
    assert.deepEqual(sentSince(rig, from), ['READ:PCTW?'], 'asked the laser, sent nothing else');
    assert.equal(lab.laser.emission, false);
    assert.equal(rig.instrument.state, 'ready');
  });

  it('interlock: emission is refused while the shutter is open, and ON is never sent', async () => {
    await clock.advance(10_000);
    await rig.instrument.write('shutter', true);
    assert.equal((await rig.instrument.read('shutter')).value, true);
    const from = rig.server.received.length;
    await assert.rejects(
      rig.instrument.write('emission', true),
      (e) => isBenchtopError(e, 'INTERLOCK') && e.details.shutterOpen === true,
    );
    assert.deepEqual(sentSince(rig, from), ['READ:PCTW?', 'SHUT?']);
    assert.equal(lab.laser.emission, false);
  });

  it('interlock: emission goes on when warm and the shutter is closed', async () => {
    await rig.instrument.write('shutter', false);
    const from = rig.server.received.length;
    await rig.instrument.write('emission', true);
    assert.deepEqual(sentSince(rig, from), ['READ:PCTW?', 'SHUT?', 'ON', '*STB?']);
    assert.equal(lab.laser.emission, true);
    assert.equal((await rig.instrument.read('emission')).value, true);
    assert.equal((await rig.instrument.read('mode_locked')).value, true);
    assert.ok(Math.abs(((await rig.instrument.read('power')).value as number) - maiTaiPowerW(800)) < 1e-3);
  });

  it('a wavelength write completes only when the actual wavelength has arrived', async () => {
    let settled = false;
    const tuning = rig.instrument.write('wavelength', 900).then(() => {
      settled = true;
    });
    const polls = () => rig.server.received.filter((l) => l === 'READ:WAV?').length;
    const before = polls();
    await eventually(() => polls() >= before + 2, 'the completion to poll READ:WAV? twice');
    assert.equal(settled, false, 'not done while the lab clock stands still');
    assert.equal(lab.laser.wavelengthSetpoint, 900);
    await clock.advance(1_000);
    // Other commands get through while the write waits.
    assert.equal((await rig.instrument.read('wavelength_actual')).value, 840);
    assert.equal((await rig.instrument.read('wavelength')).value, 900);
    assert.equal(settled, false);
    await clock.advance(1_500);
    await tuning;
    assert.equal((await rig.instrument.read('wavelength_actual')).value, 900);
  });

  it("a wavelength write's read-back is its reading: after tuning, the setpoint is not asked again", async () => {
    const from = rig.server.received.length;
    const writing = rig.instrument.writeAndRead('wavelength', 850);
    const polls = () => rig.server.received.slice(from).filter((l) => l === 'READ:WAV?').length;
    await eventually(() => polls() >= 1, 'the completion to poll READ:WAV?');
    await clock.advance(5_000);
    const reading = await writing;
    assert.equal(reading?.value, 850);
    const sent = rig.server.received.slice(from).filter((l) => l !== 'READ:WAV?');
    assert.deepEqual(
      sent,
      ['WAV 850', 'WAV?'],
      'one setter and one read-back; the polls aside, nothing else',
    );
  });

  it('emission off', async () => {
    await rig.instrument.write('emission', false);
    assert.equal(lab.laser.emission, false);
    assert.equal((await rig.instrument.read('emission')).value, false);
  });

  it('rejects out-of-range and wrongly typed writes before anything reaches the wire', async () => {
    const from = rig.server.received.length;
    const bad: [string, unknown, string][] = [
      ['wavelength', 689, 'VALUE_OUT_OF_RANGE'],
      ['wavelength', 1041, 'VALUE_OUT_OF_RANGE'],
      ['wavelength', 800.5, 'VALUE_INVALID'],
      ['wavelength', '800', 'VALUE_INVALID'],
      ['shutter', 'open', 'VALUE_INVALID'],
      ['shutter', 1, 'VALUE_INVALID'],
      ['emission', 'on', 'VALUE_INVALID'],
      ['power', 1, 'SIGNAL_READ_ONLY'],
      ['wavelength_actual', 800, 'SIGNAL_READ_ONLY'],
      ['warmup', 100, 'SIGNAL_READ_ONLY'],
    ];
    for (const [signal, value, code] of bad) {
      await assert.rejects(
        rig.instrument.write(signal, value),
        (e) => isBenchtopError(e, code as never),
        signal,
      );
    }
    assert.deepEqual(sentSince(rig, from), []);
  });
});

describe('MaiTai driver: what the laser says', () => {
  it('takes the wavelength limits from WAV:MIN?/WAV:MAX? at connect', async () => {
    const { rig } = await laserRig({ replies: { 'WAV:MIN?': '700nm', 'WAV:MAX?': '1020nm' } });
    try {
      const limits = rig.instrument.describe().signals.find((s) => s.name === 'wavelength')!.limits;
      assert.deepEqual(limits, { min: 700, max: 1020 });
      const from = rig.server.received.length;
      await assert.rejects(rig.instrument.write('wavelength', 1030), (e) =>
        isBenchtopError(e, 'VALUE_OUT_OF_RANGE'),
      );
      await assert.rejects(rig.instrument.write('wavelength', 695), (e) =>
        isBenchtopError(e, 'VALUE_OUT_OF_RANGE'),
      );
      assert.deepEqual(sentSince(rig, from), []);
    } finally {
      await rig.close();
    }
  });

  it('keeps the default limits when the model does not know WAV:MIN?', async () => {
    const { rig } = await laserRig({ replies: { 'WAV:MIN?': 'Error: unknown command' } });
    try {
      const limits = rig.instrument.describe().signals.find((s) => s.name === 'wavelength')!.limits;
      assert.deepEqual(limits, { min: 690, max: 1040 });
    } finally {
      await rig.close();
    }
  });

  it("the laser's own refusal of ON is INSTRUMENT_ERROR naming ON, and the link stays in step", async () => {
    // A laser that claims to be warm but is not: the driver's check passes, the laser refuses.
    const { rig, lab } = await laserRig({ replies: { 'READ:PCTW?': '100%' } });
    try {
      await assert.rejects(
        rig.instrument.write('emission', true),
        (e) =>
          isBenchtopError(e, 'INSTRUMENT_ERROR') &&
          e.details.command === 'ON' &&
          /not warmed up/.test(String(e.details.instrumentCode)),
      );
      assert.equal(lab.laser.emission, false);
      assert.equal(rig.instrument.state, 'ready');
      assert.equal((await rig.instrument.read('wavelength')).value, 800, 'the next reply is the right one');
      assert.equal((await rig.instrument.read('shutter')).value, false);
    } finally {
      await rig.close();
    }
  });

  it('an Error reply to a query is INSTRUMENT_ERROR naming the query; the actor stays ready', async () => {
    const { rig } = await laserRig({ replies: { 'READ:HUM?': 'Error: humidity sensor' } });
    try {
      await assert.rejects(
        rig.instrument.read('humidity'),
        (e) => isBenchtopError(e, 'INSTRUMENT_ERROR') && e.details.command === 'READ:HUM?',
      );
      assert.equal(rig.instrument.state, 'ready');
      assert.equal((await rig.instrument.read('warmup')).value, 0);
    } finally {
      await rig.close();
    }
  });

  it('a setpoint the laser did not take is INSTRUMENT_ERROR', async () => {
    const { rig } = await laserRig({ replies: { 'WAV 900': null } });
    try {
      await assert.rejects(
        rig.instrument.write('wavelength', 900),
        (e) =>
          isBenchtopError(e, 'INSTRUMENT_ERROR') &&
          e.details.command === 'WAV 900' &&
          e.details.readBack === '800 nm',
      );
    } finally {
      await rig.close();
    }
  });

  it('writes LF instead of CR when configured, and sets the watchdog when asked', async () => {
    const { rig } = await laserRig({ config: { write_termination: '\n', watchdog_s: 0 } });
    try {
      assert.deepEqual(rig.server.received.slice(0, 3), ['*IDN?', 'TIMER:WATCHDOG 0', 'TIMER:WATCHDOG?']);
      assert.equal((await rig.instrument.read('wavelength')).value, 800);
    } finally {
      await rig.close();
    }
  });
});

describe('MaiTai driver: faults', () => {
  let rig: SimRig;
  before(async () => {
    ({ rig } = await laserRig());
  });
  after(() => rig.close());

  for (const drill of replyFaultDrills) {
    it(drill.title, async () => {
      await faultThenRecover(rig, drill, 'power');
      assert.equal(
        (await rig.instrument.read('wavelength')).value,
        800,
        `works again after ${drill.fault.kind}`,
      );
    });
  }

  it('laser controller switched off and on: fails fast while away, reconnects on the same port', async () => {
    await powerCycle(rig, [() => rig.instrument.read('power'), () => rig.instrument.write('emission', true)]);
    assert.equal(rig.server.received[0], '*IDN?');
    assert.equal((await rig.instrument.read('humidity')).value, 3.2);
  });
});

/** The driver without an actor, on one ManualClock shared with the lab: completions step by step. */
describe('MaiTai completions on a manual clock', () => {
  async function direct() {
    const clock = new ManualClock();
    const lab = newLab(clock);
    const server = simServer(new MaiTaiSimProtocol(lab));
    const { port } = await server.listen(0, '127.0.0.1');
    const driver = new MaiTaiDriver(
      'laser',
      typedConfig('MaiTai', MaiTaiConfig, 'laser', { serial_port: `tcp://127.0.0.1:${port}` }),
      () => new TcpTransport('127.0.0.1', port),
    );
    const lifetime = new AbortController();
    const ctx: CallContext = {
      id: 'laser',
      clock,
      log: silentLogger(),
      lifetime: lifetime.signal,
      signal: lifetime.signal,
      linkLost: (error) => assert.fail(`link lost: ${error}`),
      publish: () => {},
    };
    await driver.connect(ctx);
    const close = async () => {
      await driver.disconnect();
      await server.close();
    };
    return { clock, lab, driver, ctx, close };
  }

  it('tuning is done exactly when READ:WAV? is within the tolerance of the target', async () => {
    const { clock, driver, ctx, close } = await direct();
    try {
      const done = (await driver.signals.wavelength!.write!(900, ctx)) as Completion;
      assert.equal(await done.isDone(ctx), false);
      await clock.advance(1_000); // 840 nm
      assert.equal(await done.isDone(ctx), false);
      await clock.advance(1_485); // 899.4 nm: 0.6 nm short
      assert.equal(await done.isDone(ctx), false);
      await clock.advance(5); // 899.6 nm: within 0.5 nm
      assert.equal(await done.isDone(ctx), true);
    } finally {
      await close();
    }
  });

  it('a shutter write is done once the laser reports it and the travel time has passed', async () => {
    const { clock, lab, driver, ctx, close } = await direct();
    try {
      const opening = (await driver.signals.shutter!.write!(true, ctx)) as Completion;
      assert.equal(await opening.isDone(ctx), false);
      await clock.advance(999);
      assert.equal(await opening.isDone(ctx), false);
      await clock.advance(1);
      assert.equal(await opening.isDone(ctx), true);
      assert.equal(lab.laser.shutterOpen(), true, 'the default settle time covers the simulated travel');
      assert.equal(
        await driver.signals.shutter!.write!(true, ctx),
        undefined,
        'already open: nothing to wait for',
      );
    } finally {
      await close();
    }
  });
});

describe('MaiTai on the real clock (fast warm-up)', () => {
  it('warms up, switches on, tunes, opens the shutter and reports the gain-curve power', async () => {
    const lab = newLab(systemClock, 0.3);
    const { rig } = await laserRig({ lab, config: { shutter_settle_ms: 1000 } });
    try {
      let warm = 0;
      for (let i = 0; i < 200 && warm < 100; i++) {
        warm = (await rig.instrument.read('warmup')).value as number;
        if (warm < 100) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(warm, 100);
      await rig.instrument.write('emission', true);
      await rig.instrument.write('wavelength', 820);
      assert.ok(Math.abs(((await rig.instrument.read('wavelength_actual')).value as number) - 820) <= 0.5);
      await rig.instrument.write('shutter', true);
      assert.ok(lab.laser.shutterOpen(), 'light is out when the shutter write completes');
      const power = (await rig.instrument.read('power')).value as number;
      assert.ok(Math.abs(power - maiTaiPowerW(820)) < 1e-3, `${power} W`);
    } finally {
      await rig.close();
    }
  });
});
