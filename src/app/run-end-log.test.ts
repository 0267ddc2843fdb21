import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { RunEngine } from '../engine/run-engine.ts';
import { type FakeLab, fakeLab, labEngine, runClockUntil } from '../engine/testing/fake-lab.ts';
import { logFailedRuns } from './run-end-log.ts';

describe('runs that fail or are aborted are logged at warn with their reason', () => {
  let lab: FakeLab;
  let engine: RunEngine;
  const records: { level: number; msg: string; reason?: string; exit_status?: string }[] = [];
  before(async () => {
    lab = await fakeLab();
    engine = labEngine(lab);
    const sink = new Writable({
      write(chunk, _encoding, done) {
        records.push(JSON.parse(String(chunk)));
        done();
      },
    });
    logFailedRuns(lab.bus, engine, pino({ level: 'info' }, sink));
  });
  after(async () => {
    await engine.shutdown();
    await lab.stop();
  });

  it('a failed run, an aborted run; a successful run is not warned about', async () => {
    await engine.whenFinished(engine.submit('count', { detectors: ['meter.power'] }).uid);
    const { uid } = engine.submit('count', { detectors: ['meter.power'], num: 1000, delay: 1 });
    engine.abort('sample crashed');
    await runClockUntil(lab.clock, engine.whenFinished(uid));
    lab.meter.failOnRead = lab.meter.reads + 2;
    const failed = await engine.whenFinished(
      engine.submit('count', { detectors: ['meter.power'], num: 3 }).uid,
    );
    assert.equal(failed.exit_status, 'fail');
    await new Promise((resolve) => setImmediate(resolve));
    const warned = records.filter((r) => r.level === 40);
    assert.equal(warned.length, 2, JSON.stringify(records));
    assert.equal(warned[0]!.reason, 'sample crashed');
    assert.match(warned[0]!.msg, /ended with abort: sample crashed$/);
    assert.equal(warned[1]!.exit_status, 'fail');
    assert.match(
      warned[1]!.msg,
      new RegExp(`^run ${failed.uid} \\(count\\) ended with fail: meter: cable pulled`),
    );
  });
});
