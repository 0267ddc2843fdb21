import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { GridScanArgs } from '../../engine/plans/grid-scan.ts';
import { ScanArgs } from '../../engine/plans/scan.ts';
import { parseMetadata, parsePlanArgs } from './run-args.ts';
import { formatProgress, ProgressBar } from './run-progress-bar.ts';
import { runView, showRunTable } from './run-view.ts';

describe('plan arguments from the command line', () => {
  it('types values by the plan schema: numbers (negative too), comma lists, repeated flags', () => {
    const args = parsePlanArgs(
      'scan',
      [
        '--detectors',
        'meter.power,dmm.voltage',
        '--detectors',
        'laser.power',
        '--motor',
        'stage.axis1.position',
        '--start',
        '-1',
        '--stop=1',
        '--num',
        '41',
        '--settle-s',
        '0.2',
      ],
      ScanArgs,
    );
    assert.deepEqual(args, {
      detectors: ['meter.power', 'dmm.voltage', 'laser.power'],
      motor: 'stage.axis1.position',
      start: -1,
      stop: 1,
      num: 41,
      settle_s: 0.2,
    });
  });

  it('reads grid axes as motor:start:stop:num (or JSON), and a bare boolean flag as true', () => {
    const args = parsePlanArgs(
      'grid_scan',
      [
        '--detectors',
        'meter.power',
        '--axes',
        'stage.axis2.position:0:2:5,stage.axis1.position:-1:1:21',
        '--snake',
      ],
      GridScanArgs,
    );
    assert.deepEqual(args.axes, [
      { motor: 'stage.axis2.position', start: 0, stop: 2, num: 5 },
      { motor: 'stage.axis1.position', start: -1, stop: 1, num: 21 },
    ]);
    assert.equal(args.snake, true);
    const json = parsePlanArgs(
      'grid_scan',
      ['--axes', '[{"motor":"m.x","start":0,"stop":1,"num":2}]', '--snake', 'false'],
      GridScanArgs,
    );
    assert.deepEqual(json, { axes: [{ motor: 'm.x', start: 0, stop: 1, num: 2 }], snake: false });
  });

  it('reports every bad argument with VALIDATION_FAILED', () => {
    try {
      parsePlanArgs('scan', ['--nmu', '3', '--start', 'abc', 'stray', '--num'], ScanArgs);
      assert.fail('accepted');
    } catch (error) {
      assert.ok(isBenchtopError(error, 'VALIDATION_FAILED'));
      assert.equal(((error as BenchtopError).details.problems as unknown[]).length, 4);
    }
  });

  it('guesses types for a plan it has no schema for', () => {
    assert.deepEqual(
      parsePlanArgs('custom', ['--n', '3', '--names', 'a,b', '--flag', 'true', '--label', 'x'], undefined),
      {
        n: 3,
        names: ['a', 'b'],
        flag: true,
        label: 'x',
      },
    );
  });

  it('parses metadata pairs', () => {
    assert.deepEqual(parseMetadata(['sample=Si-42', 'temperature=20.5', 'note=a=b']), {
      sample: 'Si-42',
      temperature: 20.5,
      note: 'a=b',
    });
    assert.throws(
      () => parseMetadata(['oops']),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
  });
});

describe('progress bar', () => {
  it('formats points, percentage and ETA', () => {
    assert.equal(
      formatProgress('scan', { done: 10, total: 40, eta_s: 75, state: 'running' }, 8),
      'scan [##......]  25% 10/40 ETA 1:15 running',
    );
    assert.equal(
      formatProgress('cam', { done: 7, total: null, eta_s: null, state: 'paused' }),
      'cam 7 paused',
    );
  });

  it('shows a suspension: for how long, why, and when the run fails unless the instrument is back', () => {
    const suspended = {
      done: 36,
      total: 301,
      eta_s: null,
      state: 'suspended',
      suspension: { reasons: ['meter is unavailable: link lost'], since: 1000, fails_at: 1120 },
    };
    assert.equal(
      formatProgress('time_series', suspended, 4, 1012),
      'time_series [....]  11% 36/301 suspended 0:12: meter is unavailable: link lost (fails in 1:48)',
    );
    const view = runView({
      uid: 'u',
      plan: 'time_series',
      state: 'suspended',
      suspended_at: 1000,
      suspended_by: ['meter is unavailable: link lost'],
      fails_at: 1120,
    });
    assert.deepEqual(view.suspension, suspended.suspension);
    assert.equal(runView({ uid: 'u', state: 'running', suspended_at: null }).suspension, null);
  });

  function sink(isTTY: boolean) {
    const chunks: string[] = [];
    return {
      chunks,
      stream: { isTTY, write: (c: string) => chunks.push(c) > 0 } as unknown as NodeJS.WritableStream & {
        isTTY: boolean;
      },
    };
  }

  it('redraws in place on a terminal', () => {
    const { chunks, stream } = sink(true);
    const bar = new ProgressBar(stream, 'scan');
    bar.update({ done: 1, total: 2, eta_s: 1, state: 'running' });
    bar.note('warning: slow disk');
    bar.update({ done: 2, total: 2, eta_s: 0, state: 'finished' });
    bar.finish();
    assert.ok(chunks[0]!.startsWith('\r'));
    assert.ok(chunks.includes('warning: slow disk\n'));
    assert.equal(chunks.at(-1), '\n');
  });

  it('prints a line per tenth and per state change when not a terminal', () => {
    const { chunks, stream } = sink(false);
    const bar = new ProgressBar(stream, 'scan');
    for (let done = 0; done <= 100; done++) bar.update({ done, total: 100, eta_s: null, state: 'running' });
    bar.update({ done: 100, total: 100, eta_s: null, state: 'finished' });
    assert.equal(chunks.length, 12);
    assert.ok(chunks.every((c) => c.endsWith('\n') && !c.includes('\r')));
  });
});

describe('run views', () => {
  it('read both engine runs and catalog records', () => {
    const engineRun = runView({
      uid: 'u1',
      plan: 'scan',
      state: 'finished',
      exit_status: 'abort',
      reason: 'beam dump',
      progress: { done: 3, total: 5, eta_s: null },
      num_events: { primary: 3 },
      files: ['a.h5'],
      warnings: [{ message: 'slow disk' }],
    });
    assert.equal(engineRun.status, 'abort');
    assert.equal(engineRun.finished, true);
    assert.deepEqual(engineRun.warnings, ['slow disk']);
    const running = runView({
      run: { uid: 'u2', plan: 'count', state: 'running', progress: { done: 1, total: 4 } },
    });
    assert.equal(running.finished, false);
    assert.equal(running.status, 'running');
    const served = runView({
      uid: 'u4',
      plan_name: 'scan',
      status: 'running',
      start_time: 1,
      live: {
        uid: 'u4',
        plan: 'scan',
        state: 'paused',
        exit_status: null,
        progress: { done: 2, total: 5, eta_s: 3 },
      },
    });
    assert.deepEqual(
      [served.state, served.status, served.finished, served.progress.done],
      ['paused', 'paused', false, 2],
    );
    const record = runView({
      uid: 'u3',
      plan_name: 'count',
      status: 'interrupted',
      start_time: 1_767_225_600,
      end_time: null,
      num_events: {},
      files: [],
      plan_args: { num: 1 },
    });
    assert.equal(record.status, 'interrupted');
    assert.equal(record.finished, true);
    assert.equal(record.plan, 'count');
    const table = showRunTable([record]);
    assert.match(table, /^UID\s+PLAN\s+STATUS/);
    assert.match(table, /u3\s+count\s+interrupted\s+2026-01-01T00:00:00Z/);
  });
});
