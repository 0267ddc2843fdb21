import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadBenchtopConfig } from '../app/load-benchtop-config.ts';
import type { EventDescriptor, RunDocument, RunEvent, RunStart, RunStop } from '../core/documents.ts';
import { BenchtopError, isBenchtopError } from '../core/errors.ts';
import type { RunEngine } from './run-engine.ts';
import type { RunStateChange, RunWarning } from './run-events.ts';
import { type FakeLab, fakeLab, labEngine, runClockUntil } from './testing/fake-lab.ts';

function docs<N extends RunDocument['name']>(all: RunDocument[], name: N) {
  return all.filter((d) => d.name === name).map((d) => d.doc) as Extract<RunDocument, { name: N }>['doc'][];
}

function events(all: RunDocument[]): RunEvent[] {
  return docs(all, 'event');
}

let lab: FakeLab;
let engine: RunEngine;
let states: RunStateChange[];
let warnings: RunWarning[];

beforeEach(async () => {
  lab = await fakeLab();
  states = [];
  warnings = [];
  lab.bus.on('run.state', (s) => states.push(s));
  lab.bus.on('run.warning', (w) => warnings.push(w));
  engine = labEngine(lab, {
    recorder: lab.recorder,
    config: loadBenchtopConfig({ text: `[security]\njwt_secret = "${'s'.repeat(40)}"\n` }).config,
  });
});

afterEach(async () => {
  await engine.shutdown();
  await lab.stop();
});

const scanArgs = { detectors: ['meter.power'], motor: 'stage.axis1.position', start: -1, stop: 1, num: 5 };

describe('RunEngine documents', () => {
  it('runs a scan: start, one descriptor, an event per point, stop, all linked', async () => {
    const busDocs: RunDocument[] = [];
    lab.bus.on('run.document', (d) => busDocs.push(d.document));
    const { uid } = engine.submit('scan', scanArgs, { sample: 'Si-42', operator: 'ada' });
    const info = await engine.whenFinished(uid);
    assert.equal(info.state, 'finished');
    assert.equal(info.exit_status, 'success');
    assert.deepEqual(info.num_events, { primary: 5 });
    assert.deepEqual(info.files, ['run.mem']);

    const written = lab.writers[0]!.documents;
    assert.deepEqual(
      written.map((d) => d.name),
      ['start', 'descriptor', 'event', 'event', 'event', 'event', 'event', 'stop'],
    );
    assert.deepEqual(busDocs, written, 'the bus sees every document, in order');
    assert.deepEqual(lab.recorder.documents, written, 'the catalog records every document');
    assert.deepEqual(lab.recorder.calls, [`start ${uid} memory`, `stop ${uid} success`]);

    const start = written[0]!.doc as RunStart;
    assert.equal(start.uid, uid);
    assert.equal(start.plan_name, 'scan');
    assert.deepEqual(start.plan_args, { ...scanArgs, settle_s: 0 });
    assert.equal(start.sample, 'Si-42', 'user metadata at the top level');
    assert.equal((start.metadata as { operator: string }).operator, 'ada');
    assert.equal(start.num_points, 5);
    assert.deepEqual(start.hints?.dimensions, [[['stage.axis1.position'], 'primary']]);
    assert.equal(typeof start.versions.benchtop, 'string');
    assert.equal((start.config as { security: { jwt_secret: string } }).security.jwt_secret, '***');
    assert.deepEqual(Object.keys(start.instruments).sort(), ['camera', 'laser', 'meter', 'stage']);

    const descriptor = written[1]!.doc as EventDescriptor;
    assert.equal(descriptor.run_start, uid);
    assert.equal(descriptor.name, 'primary');
    assert.deepEqual(descriptor.data_keys['meter.power'], {
      dtype: 'number',
      shape: [],
      source: 'meter.power',
      dtype_numpy: '<f8',
      units: 'W',
      precision: 6,
    });
    assert.deepEqual(descriptor.data_keys['stage.axis1.position']?.limits, { control: { low: -5, high: 5 } });
    assert.deepEqual(descriptor.object_keys, { meter: ['meter.power'], stage: ['stage.axis1.position'] });

    const evs = events(written);
    assert.deepEqual(
      evs.map((e) => e.seq_num),
      [1, 2, 3, 4, 5],
    );
    assert.ok(evs.every((e) => e.descriptor === descriptor.uid));
    assert.deepEqual(
      evs.map((e) => e.data['stage.axis1.position']),
      [-1, -0.5, 0, 0.5, 1],
    );
    assert.deepEqual(
      evs.map((e) => e.data['meter.power']),
      [0, 0.5, 1, 1.5, 2],
      'each read happened after its move completed',
    );
    assert.ok(evs.every((e) => typeof e.timestamps['meter.power'] === 'number'));

    const stop = written.at(-1)!.doc as RunStop;
    assert.equal(stop.run_start, uid);
    assert.equal(stop.exit_status, 'success');
    assert.deepEqual(stop.num_events, { primary: 5 });
    assert.equal(lab.writers[0]!.closed, true);
    assert.ok(lab.writers[0]!.flushes >= 5, 'flushed at every checkpoint');
  });

  it('reports progress after every point, ending at total', async () => {
    const progress: [number, number | null][] = [];
    lab.bus.on('run.progress', (p) => progress.push([p.done, p.total]));
    const { uid } = engine.submit('count', { detectors: ['meter.power'], num: 3 });
    await engine.whenFinished(uid);
    assert.deepEqual(progress.at(-1), [3, 3]);
    assert.ok(progress.some(([done]) => done === 1));
    assert.ok(progress.some(([done]) => done === 2));
  });

  it('records a write-only signal as its last setpoint', async () => {
    const { uid } = engine.submit('list_scan', { motor: 'stage.axis2.position', positions: [1, 2] });
    await engine.whenFinished(uid);
    assert.deepEqual(
      events(lab.writers[0]!.documents).map((e) => e.data),
      [{ 'stage.axis2.position': 1 }, { 'stage.axis2.position': 2 }],
    );
  });

  it('keeps the time series on its deadline schedule even when reads are slow', async () => {
    lab.meter.readMs = 300;
    const { uid } = engine.submit('time_series', { signals: ['meter.power'], interval_s: 1, duration_s: 3 });
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid));
    assert.equal(info.exit_status, 'success');
    const written = lab.writers[0]!.documents;
    const start = written[0]!.doc as RunStart;
    const offsets = events(written).map((e) => Math.round((e.time - start.time) * 1000));
    // Each point is due at k·1 s and its read takes 0.3 s: no drift accumulates.
    assert.deepEqual(offsets, [300, 1300, 2300, 3300]);
  });
});

describe('RunEngine queue', () => {
  it('runs one at a time: a second submission waits in the queue, a queued run can be cancelled', async () => {
    lab.stage.holdAt = 0;
    const first = engine.submit('scan', scanArgs);
    const second = engine.submit('count', { detectors: ['meter.power'], num: 2 });
    const third = engine.submit('count', { detectors: ['meter.power'], num: 1 });
    await lab.stage.moveSent(0);
    assert.equal(engine.current()?.uid, first.uid);
    assert.deepEqual(
      engine.queue().map((r) => r.uid),
      [second.uid, third.uid],
    );
    assert.equal(engine.get(second.uid)?.state, 'queued');

    const cancelled = engine.cancel(third.uid);
    assert.equal(cancelled.state, 'cancelled');
    assert.throws(
      () => engine.cancel(first.uid),
      (e) => isBenchtopError(e, 'RUN_STATE_CONFLICT'),
    );

    lab.stage.release();
    const done = await runClockUntil(lab.clock, engine.whenFinished(second.uid));
    assert.equal(done.exit_status, 'success');
    assert.equal(engine.get(first.uid)?.exit_status, 'success');
    assert.equal(lab.writers.length, 2, 'the cancelled run never opened');
    const firstStop = lab.writers[0]!.documents.at(-1)!;
    const secondStart = lab.writers[1]!.documents[0]!;
    assert.equal(firstStop.name, 'stop');
    assert.equal(secondStart.name, 'start');
    const order = states.filter((s) => s.state === 'running' || s.state === 'finished').map((s) => s.uid);
    assert.deepEqual(order, [first.uid, first.uid, second.uid, second.uid]);
  });
});

describe('RunEngine control', () => {
  it('pauses at the next checkpoint and resumes to complete every point', async () => {
    let paused = false;
    lab.bus.on('run.progress', (p) => {
      if (p.done === 2 && !paused) {
        paused = true;
        engine.pause();
      }
    });
    const { uid } = engine.submit('scan', scanArgs);
    await lab.bus.once('run.state', (s) => s.state === 'paused');
    assert.equal(events(lab.writers[0]!.documents).length, 2);
    assert.equal(engine.get(uid)?.state, 'paused');
    engine.resume();
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'success');
    assert.deepEqual(
      events(lab.writers[0]!.documents).map((e) => e.data['stage.axis1.position']),
      [-1, -0.5, 0, 0.5, 1],
    );
    assert.deepEqual(
      states.filter((s) => s.uid === uid).map((s) => s.state),
      ['queued', 'running', 'paused', 'running', 'finished'],
    );
  });

  it('aborts mid-scan: exit_status abort, the data so far kept and the files closed', async () => {
    lab.bus.on('run.progress', (p) => {
      if (p.done === 3 && engine.current()) engine.abort('beam dump');
    });
    const { uid } = engine.submit('scan', scanArgs);
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'abort');
    assert.equal(info.reason, 'beam dump');
    const written = lab.writers[0]!.documents;
    assert.equal(events(written).length, 3);
    const stop = written.at(-1)!.doc as RunStop;
    assert.equal(stop.exit_status, 'abort');
    assert.deepEqual(stop.num_events, { primary: 3 });
    assert.equal(lab.writers[0]!.closed, true);
    assert.deepEqual(lab.recorder.calls.at(-1), `stop ${uid} abort`);
  });

  it('abort during a move stops the motor and leaves it at rest', async () => {
    lab.stage.holdAt = 0;
    const { uid } = engine.submit('scan', scanArgs);
    await lab.stage.moveSent(0);
    engine.abort('operator');
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'abort');
    assert.ok(lab.stage.wire.includes('axis1 ST'), `stop sent: ${lab.stage.wire.join(' | ')}`);
    assert.equal(events(lab.writers[0]!.documents).length, 2);
  });

  it('stop ends the run early as a success', async () => {
    lab.bus.on('run.progress', (p) => {
      if (p.done === 1 && engine.current()) engine.stop();
    });
    const { uid } = engine.submit('count', { detectors: ['meter.power'], num: 10 });
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'success');
    assert.equal(info.num_events.primary, 1);
  });

  it('refuses control requests with no run', () => {
    for (const action of [
      () => engine.pause(),
      () => engine.abort(),
      () => engine.stop(),
      () => engine.resume(),
    ]) {
      assert.throws(action, (e) => isBenchtopError(e, 'RUN_STATE_CONFLICT'));
    }
  });

  it('shutdown aborts the running run with reason shutdown and cancels the queue', async () => {
    lab.stage.holdAt = 0;
    const first = engine.submit('scan', scanArgs);
    const second = engine.submit('count', { detectors: ['meter.power'] });
    await lab.stage.moveSent(0);
    await engine.shutdown();
    assert.equal(engine.get(first.uid)?.exit_status, 'abort');
    assert.equal(engine.get(first.uid)?.reason, 'shutdown');
    assert.equal(engine.get(second.uid)?.state, 'cancelled');
    assert.equal(lab.writers[0]!.closed, true);
    assert.throws(
      () => engine.submit('count', { detectors: ['meter.power'] }),
      (e) => isBenchtopError(e, 'RUN_STATE_CONFLICT'),
    );
  });
});

describe('RunEngine suspensions', () => {
  const emission = (value: boolean) =>
    lab.bus.emit('instrument.reading', {
      instrument: 'laser',
      signal: 'emission',
      value,
      timestamp: lab.clock.now(),
      quality: 'good',
    });

  it('suspends when laser emission is lost and completes every point once it is restored', async () => {
    engine.suspendWhen({
      signal: 'laser.emission',
      predicate: (on) => on === false,
      reason: 'laser emission lost',
    });
    let lost = false;
    lab.bus.on('run.progress', (p) => {
      if (p.done === 2 && !lost) {
        lost = true;
        emission(false);
      }
    });
    const { uid } = engine.submit('scan', scanArgs);
    const suspended = await lab.bus.once('run.state', (s) => s.state === 'suspended');
    assert.equal(suspended.reason, 'laser emission lost');
    assert.deepEqual(engine.get(uid)?.suspended_by, ['laser emission lost']);
    assert.equal(events(lab.writers[0]!.documents).length, 2);
    emission(true);
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'success');
    const evs = events(lab.writers[0]!.documents);
    assert.deepEqual(
      evs.map((e) => e.data['stage.axis1.position']),
      [-1, -0.5, 0, 0.5, 1],
    );
    assert.deepEqual(
      evs.map((e) => e.seq_num),
      [1, 2, 3, 4, 5],
    );
  });

  it('re-does the step a suspension interrupted: the move is stopped, then made again', async () => {
    lab.stage.holdAt = 0;
    const { uid } = engine.submit('scan', scanArgs);
    await lab.stage.moveSent(0);
    engine.suspend('vacuum alarm');
    await lab.bus.once('run.state', (s) => s.state === 'suspended');
    assert.ok(lab.stage.wire.includes('axis1 ST'));
    assert.equal(events(lab.writers[0]!.documents).length, 2);
    lab.stage.release();
    engine.clearSuspension('vacuum alarm');
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid));
    assert.equal(info.exit_status, 'success');
    assert.deepEqual(
      events(lab.writers[0]!.documents).map((e) => e.data['stage.axis1.position']),
      [-1, -0.5, 0, 0.5, 1],
    );
    assert.equal(
      lab.stage.wire.filter((w) => w === 'axis1 PA0').length,
      2,
      'the interrupted move was made again',
    );
  });

  it('a run submitted while suspended waits, then runs', async () => {
    engine.suspend('interlock');
    const { uid } = engine.submit('count', { detectors: ['meter.power'], num: 2 });
    await lab.bus.once('run.state', (s) => s.uid === uid && s.state === 'suspended');
    assert.equal(events(lab.writers[0]!.documents).length, 0);
    engine.clearSuspension('interlock');
    const info = await engine.whenFinished(uid);
    assert.equal(info.num_events.primary, 2);
  });
});

describe('RunEngine failures', () => {
  it('an instrument that loses its link mid-run fails the run with the instrument named', async () => {
    lab.meter.failOnRead = 3;
    const { uid } = engine.submit('scan', scanArgs);
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.error?.code, 'LINK_LOST');
    assert.match(info.reason!, /^meter: /);
    const stop = lab.writers[0]!.documents.at(-1)!.doc as RunStop;
    assert.equal(stop.exit_status, 'fail');
    assert.deepEqual(stop.num_events, { primary: 2 });
  });

  it('with onInstrumentUnavailable=suspend, waits for the instrument to reconnect and completes', async () => {
    await engine.shutdown();
    engine = labEngine(lab, { onInstrumentUnavailable: 'suspend' });
    lab.meter.failOnRead = 3;
    const { uid } = engine.submit('scan', scanArgs);
    await lab.bus.once('run.state', (s) => s.uid === uid && s.state === 'suspended');
    // The supervisor reconnects the meter after its backoff on the lab clock.
    const info = await runClockUntil(lab.clock, engine.whenFinished(uid));
    assert.equal(info.exit_status, 'success');
    assert.deepEqual(
      events(lab.writers.at(-1)!.documents).map((e) => e.data['stage.axis1.position']),
      [-1, -0.5, 0, 0.5, 1],
    );
  });

  it('a plan that throws fails the run with its reason', async () => {
    const { PlanRegistry, builtinPlans } = await import('./plan-registry.ts');
    const { Type } = await import('@sinclair/typebox');
    const broken = {
      name: 'broken',
      description: 'opens a run, reads once, then throws',
      args: Type.Object({}),
      *plan() {
        yield { command: 'open_run' as const };
        yield { command: 'trigger_and_read' as const, detectors: ['meter.power'] };
        throw new Error('analysis step blew up');
      },
    };
    await engine.shutdown();
    engine = labEngine(lab, { plans: new PlanRegistry([...builtinPlans, broken]) });
    const info = await engine.whenFinished(engine.submit('broken', {}).uid);
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.reason, 'analysis step blew up');
    assert.equal(info.num_events.primary, 1, 'the data before the failure is kept');
  });

  it('a failing writer ends the run with fail and warns on the bus', async () => {
    lab.bus.on('run.progress', (p) => {
      if (p.done === 2) lab.writers[0]!.failFlush = new Error('No space left on device');
    });
    const { uid } = engine.submit('scan', scanArgs);
    const info = await engine.whenFinished(uid);
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.error?.code, 'STORAGE_ERROR');
    assert.match(info.reason!, /No space left on device/);
    assert.ok(warnings.some((w) => w.uid === uid && w.kind === 'writer_error'));
  });

  it('a writer that cannot be created fails the run before anything is recorded', async () => {
    await engine.shutdown();
    engine = labEngine(lab, {
      recorder: lab.recorder,
      writerFactory: () => {
        throw new BenchtopError('STORAGE_ERROR', 'output_dir is not writable');
      },
    });
    const info = await engine.whenFinished(engine.submit('count', { detectors: ['meter.power'] }).uid);
    assert.equal(info.exit_status, 'fail');
    assert.equal(info.error?.code, 'STORAGE_ERROR');
    assert.deepEqual(lab.recorder.calls, []);
  });

  it('drops reported by the writer reach the bus and the stop reason', async () => {
    lab.bus.on('run.progress', (p) => {
      if (p.done === 1) {
        lab.writers[0]!.dropped = 2;
        lab.writers[0]!.report.dropped({ dropped: 2, reason: 'queue_full' });
      }
    });
    const { uid } = engine.submit('count', { detectors: ['meter.power'], num: 3 });
    const info = await engine.whenFinished(uid);
    assert.ok(warnings.some((w) => w.kind === 'writer_dropped' && w.details.dropped === 2));
    assert.match(info.reason!, /dropped 2/);
  });
});
