import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { type ErrorCode, isBenchtopError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { faultThenRecover, powerCycle, replyFaultDrills } from '../testing/fault-drills.ts';
import { eventually } from '../testing/sim-rig.ts';
import { type CvxRig, rigOutputs, startCvxRig } from './cvx-test-rig.ts';
import { keyenceCvxKind } from './kind.ts';

interface TriggerResult {
  trigger: string;
  elapsed_ms: number;
  result: string;
  fields: Record<string, number>;
}

const refused = (command: string, code: number) => (e: unknown) =>
  isBenchtopError(e, 'INSTRUMENT_ERROR') &&
  e.details.command === command &&
  e.details.instrumentCode === code &&
  e.message.includes(`"${command}"`);

const fails = (code: ErrorCode) => (e: unknown) => isBenchtopError(e, code);

describe('KeyenceCvx driver against its simulator (TCP, actor, supervisor, facade)', () => {
  let rig: CvxRig;
  before(async () => {
    rig = await startCvxRig();
  });
  after(() => rig.close());

  it('reads mode and program at connect and describes every signal and action', () => {
    assert.deepEqual(rig.wire.slice(0, 2), ['RM', 'PR']);
    assert.equal(rig.instrument.identity?.model, 'Keyence CV-X');
    assert.match(rig.instrument.identity?.raw ?? '', /run mode, SD1 program 000/);
    assert.deepEqual(
      ['mode', 'program', 'program_sd'].map((s) => rig.last(s)?.value),
      ['run', 0, 1],
    );
    const d = rig.instrument.describe();
    const signal = (name: string) => d.signals.find((s) => s.name === name)!;
    assert.deepEqual(signal('mode').choices, ['run', 'setup']);
    assert.deepEqual([signal('mode').writable, signal('program').writable], [true, true]);
    assert.deepEqual(signal('program').limits, { min: 0, max: 999 });
    assert.deepEqual(signal('program_sd').limits, { min: 1, max: 2 });
    assert.deepEqual(
      [signal('result').dtype, signal('result').shape, signal('result').element],
      ['array', [7], 'number'],
    );
    assert.equal(signal('last_trigger_ms').unit, 'ms');
    assert.equal(signal('total').dtype, 'integer');
    assert.equal(signal('scratch_score').dtype, 'number');
    assert.equal(signal('defect_x').unit, 'px');
    assert.deepEqual(d.actions.map((a) => a.name).sort(), ['clear_error', 'reset', 'trigger']);
  });

  it('output signals say plainly that no inspection has run yet', async () => {
    await assert.rejects(
      rig.instrument.read('total'),
      (e) => isBenchtopError(e, 'NOT_FOUND') && /trigger/.test(e.message),
    );
    await assert.rejects(rig.instrument.read('result'), fails('NOT_FOUND'));
  });

  it('trigger: TA on the wire, the result line parsed by the outputs map into one reading per field', async () => {
    const result = (await rig.instrument.call('trigger')) as TriggerResult;
    assert.equal(rig.wire.at(-1), 'TA');
    const inspection = rig.protocol.inspections.at(-1)!;
    assert.equal(result.result, inspection.line);
    const fields = inspection.line.split(',').map(Number);
    assert.deepEqual(result.fields, {
      total: fields[0],
      scratch_score: fields[1],
      dent_score: fields[2],
      defect_x: fields[5],
      defect_y: fields[6],
    });
    for (const [name, value] of Object.entries(result.fields)) {
      assert.equal(rig.last(name)?.value, value, name);
      assert.equal((await rig.instrument.read(name)).value, value);
    }
    assert.deepEqual((await rig.instrument.read('result')).value, fields);
    assert.deepEqual(rig.last('result')?.value, fields);
    assert.equal(rig.last('last_trigger_ms')?.value, result.elapsed_ms);
    assert.ok(result.elapsed_ms >= 0);
    const t2 = (await rig.instrument.call('trigger', { trigger: 'T2' })) as TriggerResult;
    assert.equal(rig.wire.at(-1), 'T2');
    assert.equal(t2.trigger, 'T2');
    await assert.rejects(rig.instrument.call('trigger', { trigger: 'T5' }), fails('VALIDATION_FAILED'));
  });

  it('setup mode: S0 and R0 on the wire; trigger, program change and reset refused with 03 naming the command', async () => {
    await rig.instrument.write('mode', 'setup');
    assert.equal(rig.wire.at(-1), 'S0');
    assert.equal((await rig.instrument.read('mode')).value, 'setup');
    await assert.rejects(rig.instrument.call('trigger'), refused('TA', 3));
    await assert.rejects(rig.instrument.write('program', 1), refused('PW,1,001', 3));
    await assert.rejects(rig.instrument.call('reset'), refused('RS', 3));
    assert.equal((await rig.instrument.read('program')).value, 0, 'PR works in setup mode');
    await rig.instrument.write('mode', 'run');
    assert.equal(rig.wire.at(-1), 'R0');
    assert.equal((await rig.instrument.read('mode')).value, 'run');
    assert.equal(rig.instrument.state, 'ready', 'refusals do not end the connection');
    assert.equal(rig.states.filter((s) => s.state === 'failed').length, 0);
  });

  it('program and program_sd: PW,d,nnn; another program changes the result line; absent programs are 22', async () => {
    await rig.instrument.write('program', 1);
    assert.deepEqual(rig.wire.slice(-2), ['PR', 'PW,1,001']);
    assert.equal((await rig.instrument.read('program')).value, 1);
    assert.equal(rig.last('program_sd')?.value, 1);
    // 1:001 sends six fields; the outputs map wants field 6: a configuration mismatch, named.
    await assert.rejects(
      rig.instrument.call('trigger'),
      (e) => isBenchtopError(e, 'CONFIG_INVALID') && /defect_y.*field 6.*6 field/.test(e.message),
    );
    assert.deepEqual(
      rig.last('result')?.value,
      rig.protocol.inspections.at(-1)!.line.split(',').map(Number),
      'the whole line is still published',
    );
    assert.equal((rig.last('result')?.value as number[]).length, 6);
    await assert.rejects(rig.instrument.write('program_sd', 2), refused('PW,2,001', 22));
    await assert.rejects(rig.instrument.write('program', 555), refused('PW,1,555', 22));
    await assert.rejects(rig.instrument.write('program', 1000), fails('VALUE_OUT_OF_RANGE'));
    await rig.instrument.write('program', 0);
    await rig.instrument.write('program_sd', 2);
    assert.equal(rig.wire.at(-1), 'PW,2,000');
    assert.equal((await rig.instrument.read('program_sd')).value, 2);
    const sd2 = rig.readings.length;
    await assert.rejects(rig.instrument.call('trigger'), fails('CONFIG_INVALID'));
    assert.equal((rig.readings.slice(sd2).find((r) => r.signal === 'result')?.value as number[]).length, 4);
    await rig.instrument.write('program_sd', 1);
    assert.equal(((await rig.instrument.call('trigger')) as TriggerResult).result.split(',').length, 9);
  });

  it('clear_error: CE clears a latched error that refused triggers; reset: RS', async () => {
    rig.protocol.injectError();
    await assert.rejects(rig.instrument.call('trigger'), refused('TA', 3));
    await rig.instrument.call('clear_error');
    assert.equal(rig.wire.at(-1), 'CE');
    await rig.instrument.call('trigger');
    await rig.instrument.call('reset');
    assert.equal(rig.wire.at(-1), 'RS');
  });

  it('an echo without a result line is VISION_TIMEOUT, and the connection stays up', async () => {
    rig.protocol.resultOutput = false;
    await assert.rejects(
      rig.instrument.call('trigger'),
      (e) =>
        isBenchtopError(e, 'VISION_TIMEOUT') && e.details.command === 'TA' && e.details.timeoutMs === 1000,
    );
    rig.protocol.resultOutput = true;
    assert.equal(rig.instrument.state, 'ready');
    await rig.instrument.call('trigger');
  });

  it('a result that comes after its trigger timed out is published but never taken for the next trigger', async () => {
    const program = rig.protocol.currentProgram;
    program.processingMs = 1300;
    const inspected = rig.protocol.inspections.length;
    await assert.rejects(rig.instrument.call('trigger'), fails('VISION_TIMEOUT'));
    await eventually(
      () =>
        rig.protocol.inspections.length > inspected &&
        String(rig.last('result')?.value) ===
          rig.protocol.inspections.at(-1)!.line.split(',').map(Number).join(','),
      'the late result published',
    );
    const late = rig.protocol.inspections.at(-1)!;
    program.processingMs = 0;
    const next = (await rig.instrument.call('trigger')) as TriggerResult;
    const own = rig.protocol.inspections.at(-1)!;
    assert.notEqual(own.line, late.line, 'two parts, two different lines');
    assert.equal(next.result, own.line);
    assert.equal(rig.states.filter((s) => s.state === 'failed').length, 0);
  });
});

describe('KeyenceCvx driver: a controller without S0 (02 command error)', () => {
  it('turns ER,S0,02 into INSTRUMENT_ERROR naming S0', async () => {
    const rig = await startCvxRig({ override: (line) => (line === 'S0' ? 'ER,S0,02' : undefined) });
    try {
      await assert.rejects(
        rig.instrument.write('mode', 'setup'),
        (e) => refused('S0', 2)(e) && /command error/.test((e as Error).message),
      );
      assert.equal((await rig.instrument.read('mode')).value, 'run');
    } finally {
      await rig.close();
    }
  });
});

describe('KeyenceCvx driver: wire faults and link loss', () => {
  let rig: CvxRig;
  before(async () => {
    rig = await startCvxRig();
  });
  after(() => rig.close());

  for (const drill of replyFaultDrills) {
    it(drill.title, async () => {
      await faultThenRecover(rig, drill, 'mode');
      assert.equal((await rig.instrument.read('mode')).value, 'run');
    });
  }

  it('no echo to a trigger is INSTRUMENT_TIMEOUT (the link is in doubt), not VISION_TIMEOUT', async () => {
    const failed = rig.nextState('failed');
    const ready = rig.nextState('ready');
    rig.server.setFault({ kind: 'silent' });
    await assert.rejects(rig.instrument.call('trigger'), fails('INSTRUMENT_TIMEOUT'));
    assert.equal((await failed).error?.code, 'INSTRUMENT_TIMEOUT');
    rig.server.setFault({ kind: 'none' });
    await ready;
  });

  it('power cycle: LINK_LOST, commands fail fast meanwhile, reconnects; old results are not served again', async () => {
    await rig.instrument.call('trigger');
    await powerCycle(rig, [() => rig.instrument.call('trigger'), () => rig.instrument.read('mode')]);
    await assert.rejects(rig.instrument.read('total'), fails('NOT_FOUND'));
    const result = (await rig.instrument.call('trigger')) as TriggerResult;
    assert.equal((await rig.instrument.read('total')).value, result.fields.total);
  });
});

describe('KeyenceCvx driver: defect fraction through the wire', () => {
  it('the fraction of parts each tool fails matches the simulated rate (seeded, within 4 sigma)', async () => {
    const rates = { scratch: 0.1, dent: 0.05, discoloration: 0, contamination: 0 };
    const rig = await startCvxRig({ sim: { defects: { seed: 7, rates } } });
    try {
      const n = 1000;
      const threshold = rig.protocol.model.threshold;
      let scratch = 0;
      let dent = 0;
      let ng = 0;
      for (let i = 0; i < n; i++) {
        const { fields } = (await rig.instrument.call('trigger')) as TriggerResult;
        const found = rig.protocol.inspections.at(-1)!.found;
        assert.equal(fields.scratch_score! >= threshold, found.includes('scratch'));
        assert.equal(
          fields.total,
          found.length > 0 ? 1 : 0,
          'the total judgement is NG exactly when a tool found a defect',
        );
        if (fields.scratch_score! >= threshold) scratch++;
        if (fields.dent_score! >= threshold) dent++;
        if (fields.total !== 0) ng++;
      }
      for (const [count, rate, what] of [
        [scratch, rates.scratch, 'scratch'],
        [dent, rates.dent, 'dent'],
        [ng, 1 - (1 - rates.scratch) * (1 - rates.dent), 'total NG'],
      ] as const) {
        const sigma = Math.sqrt((rate * (1 - rate)) / n);
        assert.ok(Math.abs(count / n - rate) <= 4 * sigma, `${what}: ${count}/${n} vs ${rate}`);
      }
    } finally {
      await rig.close();
    }
  });
});

describe('KeyenceCvx configuration', () => {
  const make = (config: Record<string, unknown>) =>
    keyenceCvxKind.createDriver('vision', config, { clock: systemClock, log: silentLogger() });

  it('fills defaults: port 8500, timeout 3000 ms, trigger TA', () => {
    const driver = make({ host: '192.168.1.30' });
    assert.match(driver.actions.trigger!.description, /TA.*3000 ms/);
  });

  it('refuses outputs that shadow a fixed signal or reuse a name or index', () => {
    for (const outputs of [
      [{ index: 0, name: 'mode', kind: 'judgement' }],
      [rigOutputs[0], { ...rigOutputs[1], name: 'total' }],
      [rigOutputs[0], { ...rigOutputs[1], index: 0 }],
    ])
      assert.throws(() => make({ host: 'h', outputs }), fails('CONFIG_INVALID'));
    assert.throws(() => make({ host: 'h', trigger: 'T9' }), fails('CONFIG_INVALID'));
    assert.throws(
      () => make({ host: 'h', outputs: [{ index: 0, name: 'a', kind: 'colour' }] }),
      fails('CONFIG_INVALID'),
    );
  });
});
