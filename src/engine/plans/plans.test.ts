import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Msg, PlanGenerator } from '../messages.ts';
import { cameraAcquire, cameraAcquirePlan } from './camera-acquire.ts';
import { count } from './count.ts';
import { gridPoints, gridScan } from './grid-scan.ts';
import { listScan } from './list-scan.ts';
import { scan } from './scan.ts';
import { linspace } from './step.ts';
import { timeSeries, timeSeriesPoints } from './time-series.ts';

/** Iterates a plan with no engine, answering every message with nothing. */
function messages(plan: PlanGenerator): Msg[] {
  return [...plan];
}

function commands(msgs: Msg[]): string[] {
  return msgs.map((m) => m.command);
}

function sets(msgs: Msg[]): [string, unknown][] {
  return msgs.flatMap((m) => (m.command === 'set' ? [[m.target, m.value] as [string, unknown]] : []));
}

function reads(msgs: Msg[]): string[][] {
  return msgs.flatMap((m) => (m.command === 'trigger_and_read' ? [m.detectors] : []));
}

describe('linspace', () => {
  it('includes both ends, with the last point exactly stop', () => {
    assert.deepEqual(linspace(-1, 1, 5), [-1, -0.5, 0, 0.5, 1]);
    assert.deepEqual(linspace(3, 3, 1), [3]);
    const points = linspace(0, 0.3, 4);
    assert.equal(points.at(-1), 0.3);
    assert.equal(points.length, 4);
  });
});

describe('count', () => {
  it('reads num times with delay between readings, not after the last', () => {
    const msgs = messages(count({ detectors: ['meter.power'], num: 3, delay: 0.5 }));
    assert.deepEqual(commands(msgs), [
      'open_run',
      'checkpoint',
      'trigger_and_read',
      'sleep',
      'checkpoint',
      'trigger_and_read',
      'sleep',
      'checkpoint',
      'trigger_and_read',
      'close_run',
    ]);
    assert.deepEqual(
      msgs.filter((m) => m.command === 'sleep').map((m) => (m as { seconds: number }).seconds),
      [0.5, 0.5],
    );
    assert.equal((msgs[0] as { num_points: number }).num_points, 3);
  });

  it('yields no sleeps without a delay', () => {
    const msgs = messages(count({ detectors: ['meter.power'], num: 2, delay: 0 }));
    assert.equal(msgs.filter((m) => m.command === 'sleep').length, 0);
    assert.equal(reads(msgs).length, 2);
  });
});

describe('scan', () => {
  it('visits num evenly spaced positions inclusive, waiting for each move, then reads detectors and motor', () => {
    const msgs = messages(
      scan({
        detectors: ['meter.power'],
        motor: 'stage.axis1.position',
        start: -1,
        stop: 1,
        num: 41,
        settle_s: 0,
      }),
    );
    const positions = sets(msgs).map(([, v]) => v as number);
    assert.equal(positions.length, 41);
    assert.equal(positions[0], -1);
    assert.equal(positions[20], 0);
    assert.equal(positions[40], 1);
    for (let i = 1; i < positions.length; i++)
      assert.ok(Math.abs(positions[i]! - positions[i - 1]! - 0.05) < 1e-12);
    assert.ok(msgs.every((m) => m.command !== 'set' || m.wait === true));
    assert.deepEqual(reads(msgs)[0], ['meter.power', 'stage.axis1.position']);
    assert.equal(msgs.filter((m) => m.command === 'checkpoint').length, 41);
    assert.equal(msgs.filter((m) => m.command === 'sleep').length, 0);
    const open = msgs[0] as Extract<Msg, { command: 'open_run' }>;
    assert.equal(open.num_points, 41);
    assert.deepEqual(open.hints?.dimensions, [[['stage.axis1.position'], 'primary']]);
  });

  it('settles after each move and before each read', () => {
    const msgs = messages(
      scan({
        detectors: ['meter.power'],
        motor: 'laser.wavelength',
        start: 700,
        stop: 800,
        num: 3,
        settle_s: 0.2,
      }),
    );
    assert.deepEqual(commands(msgs).slice(1, 5), ['checkpoint', 'set', 'sleep', 'trigger_and_read']);
    assert.deepEqual(sets(msgs), [
      ['laser.wavelength', 700],
      ['laser.wavelength', 750],
      ['laser.wavelength', 800],
    ]);
  });

  it('does not read the motor twice when it is also a detector', () => {
    const msgs = messages(
      scan({ detectors: ['m.x', 'd.y'], motor: 'm.x', start: 0, stop: 1, num: 2, settle_s: 0 }),
    );
    assert.deepEqual(reads(msgs)[0], ['m.x', 'd.y']);
  });
});

describe('grid_scan', () => {
  const axes = [
    { motor: 'stage.axis2.position', start: 0, stop: 1, num: 2 },
    { motor: 'stage.axis1.position', start: 0, stop: 2, num: 3 },
  ];

  it('runs the outer axis slowest, every row the same way without snake', () => {
    assert.deepEqual(gridPoints(axes, false), [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
  });

  it('reverses alternate inner rows with snake', () => {
    assert.deepEqual(gridPoints(axes, true), [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 2],
      [1, 1],
      [1, 0],
    ]);
  });

  it('snakes in 3-D so that consecutive points differ along one axis only', () => {
    const cube = [0, 1, 2].map(() => ({ start: 0, stop: 1, num: 2 }));
    const points = gridPoints(cube, true);
    assert.deepEqual(points, [
      [0, 0, 0],
      [0, 0, 1],
      [0, 1, 1],
      [0, 1, 0],
      [1, 1, 0],
      [1, 1, 1],
      [1, 0, 1],
      [1, 0, 0],
    ]);
    const three = [
      { start: 0, stop: 2, num: 3 },
      { start: 0, stop: 1, num: 2 },
      { start: 0, stop: 3, num: 4 },
    ];
    const snaked = gridPoints(three, true);
    assert.equal(snaked.length, 24);
    assert.equal(new Set(snaked.map((p) => p.join(','))).size, 24);
    for (let i = 1; i < snaked.length; i++) {
      const changed = snaked[i]!.filter((v, k) => v !== snaked[i - 1]![k]);
      assert.equal(changed.length, 1, `step ${i}: ${snaked[i - 1]} → ${snaked[i]}`);
    }
  });

  it('moves only the motors whose position changes', () => {
    const msgs = messages(gridScan({ detectors: ['meter.power'], axes, snake: true, settle_s: 0 }));
    assert.deepEqual(sets(msgs), [
      ['stage.axis2.position', 0],
      ['stage.axis1.position', 0],
      ['stage.axis1.position', 1],
      ['stage.axis1.position', 2],
      ['stage.axis2.position', 1],
      ['stage.axis1.position', 1],
      ['stage.axis1.position', 0],
    ]);
    assert.equal(reads(msgs).length, 6);
    assert.deepEqual(reads(msgs)[0], ['meter.power', 'stage.axis2.position', 'stage.axis1.position']);
    assert.equal((msgs[0] as { num_points: number }).num_points, 6);
  });
});

describe('list_scan', () => {
  it('visits the positions in the order given', () => {
    const msgs = messages(
      listScan({
        detectors: ['meter.power'],
        motor: 'laser.wavelength',
        positions: [800, 750, 900],
        settle_s: 0,
      }),
    );
    assert.deepEqual(sets(msgs), [
      ['laser.wavelength', 800],
      ['laser.wavelength', 750],
      ['laser.wavelength', 900],
    ]);
    assert.equal(reads(msgs).length, 3);
  });
});

describe('time_series', () => {
  it('schedules point k at k·interval after the run opened, both ends included', () => {
    const msgs = messages(
      timeSeries({ signals: ['meter.power', 'laser.power'], interval_s: 0.5, duration_s: 2 }),
    );
    const due = msgs.flatMap((m) => (m.command === 'sleep_until' ? [m.seconds] : []));
    assert.deepEqual(due, [0, 0.5, 1, 1.5, 2]);
    assert.equal(reads(msgs).length, 5);
    assert.equal(msgs.filter((m) => m.command === 'sleep').length, 0, 'relative sleeps would drift');
  });

  it('counts points without float trouble', () => {
    assert.equal(timeSeriesPoints(0.1, 0.3), 4);
    assert.equal(timeSeriesPoints(1, 10), 11);
    assert.equal(timeSeriesPoints(3, 10), 4);
    assert.equal(timeSeriesPoints(1, 0), 1);
  });
});

describe('camera_acquire', () => {
  it('acquires a number of frames in one continuous message', () => {
    const msgs = messages(cameraAcquire({ camera: 'camera', frames: 100, exposure_ms: 5 }));
    assert.deepEqual(commands(msgs), ['open_run', 'checkpoint', 'camera_frames', 'close_run']);
    assert.deepEqual(msgs[2], { command: 'camera_frames', camera: 'camera', exposure_ms: 5, count: 100 });
    assert.equal((msgs[0] as { num_points: number }).num_points, 100);
  });

  it('acquires for a duration', () => {
    const msgs = messages(cameraAcquire({ camera: 'camera', duration_s: 2, exposure_ms: 10 }));
    assert.deepEqual(msgs[2], { command: 'camera_frames', camera: 'camera', exposure_ms: 10, duration_s: 2 });
  });

  it('requires exactly one of frames and duration_s', () => {
    const check = cameraAcquirePlan.check!;
    assert.equal(check({ camera: 'c', exposure_ms: 1 }).length, 1);
    assert.equal(check({ camera: 'c', exposure_ms: 1, frames: 2, duration_s: 1 }).length, 1);
    assert.equal(check({ camera: 'c', exposure_ms: 1, frames: 2 }).length, 0);
  });
});
