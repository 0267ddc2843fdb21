import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BenchtopError, isBenchtopError } from '../core/errors.ts';
import type { ArgProblem } from './plan-definition.ts';
import { builtinPlans, PlanRegistry } from './plan-registry.ts';
import type { RunEngine } from './run-engine.ts';
import { type FakeLab, fakeLab, labEngine } from './testing/fake-lab.ts';

let lab: FakeLab;
let engine: RunEngine;

before(async () => {
  lab = await fakeLab();
  engine = labEngine(lab);
});

after(async () => {
  await engine.shutdown();
  await lab.stop();
});

/** Submits and returns the problems of the VALIDATION_FAILED error, by path. */
function problems(plan: string, args: unknown): Record<string, string> {
  try {
    engine.submit(plan, args);
  } catch (error) {
    assert.ok(isBenchtopError(error, 'VALIDATION_FAILED'), `expected VALIDATION_FAILED, got ${error}`);
    const list = (error as BenchtopError).details.problems as ArgProblem[];
    return Object.fromEntries(list.map((p) => [p.path, p.message]));
  }
  assert.fail('the request was accepted');
}

describe('plan arguments are checked against the live instruments before a run starts', () => {
  it('reports every problem at once: unknown detectors, a read-only motor, num < 1', () => {
    const found = problems('scan', {
      detectors: ['meter.pwr', 'nosuch.signal', 'laser.shutter_cmd'],
      motor: 'meter.power',
      start: 0,
      stop: 1,
      num: 1,
    });
    assert.deepEqual(Object.keys(found).sort(), ['/detectors/0', '/detectors/1', '/detectors/2', '/motor']);
    assert.match(found['/detectors/0']!, /meter has no signal "pwr"/);
    assert.match(found['/detectors/1']!, /no instrument "nosuch"/);
    assert.match(found['/detectors/2']!, /cannot be read/);
    assert.match(found['/motor']!, /read-only/);
    assert.equal(lab.writers.length, 0);
    assert.equal(engine.list().length, 0, 'nothing was queued');
  });

  it('checks types and minimums from the schema', () => {
    const found = problems('scan', {
      detectors: [],
      motor: 'stage.axis1.position',
      start: 'a',
      stop: 1,
      num: 0,
      x: 1,
    });
    assert.ok(found['/detectors'], 'at least one detector');
    assert.ok(found['/start']);
    assert.ok(found['/num']);
    assert.ok(found['/x'], 'unknown arguments are refused');
    assert.equal(found['/motor'], undefined);
    const both = problems('scan', {
      detectors: ['meter.power'],
      motor: 'meter.power',
      start: 0,
      stop: 1,
      num: 0,
    });
    assert.deepEqual(Object.keys(both).sort(), ['/motor', '/num'], 'schema and device problems together');
  });

  it("checks positions against the motor's limits", () => {
    const found = problems('scan', {
      detectors: ['meter.power'],
      motor: 'stage.axis1.position',
      start: -6,
      stop: 1,
      num: 3,
    });
    assert.deepEqual(Object.keys(found), ['/start']);
    assert.match(found['/start']!, /-6 mm is outside stage.axis1.position's limits -5..5 mm/);
    const grid = problems('grid_scan', {
      detectors: ['meter.power'],
      axes: [
        { motor: 'stage.axis1.position', start: 0, stop: 9, num: 2 },
        { motor: 'stage.axis1.position', start: 0, stop: 1, num: 2 },
      ],
    });
    assert.deepEqual(Object.keys(grid).sort(), ['/axes/0/stop', '/axes/1/motor']);
    const list = problems('list_scan', { motor: 'meter.wavelength', positions: [800, 1200] });
    assert.deepEqual(Object.keys(list), ['/positions/1']);
  });

  it('knows cameras from signals', () => {
    assert.match(
      problems('camera_acquire', { camera: 'meter', frames: 1, exposure_ms: 1 })['/camera']!,
      /not a camera/,
    );
    assert.match(
      problems('count', { detectors: ['meter'] })['/detectors/0']!,
      /name a signal as meter.<signal>/,
    );
    assert.ok(problems('camera_acquire', { camera: 'camera', exposure_ms: 1 })['/frames']);
  });

  it('refuses unknown plans and reserved metadata keys', () => {
    assert.throws(
      () => engine.submit('spiral', {}),
      (e) => isBenchtopError(e, 'PLAN_NOT_FOUND'),
    );
    assert.throws(
      () => engine.submit('count', { detectors: ['meter.power'] }, { uid: 'mine' }),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
  });
});

describe('live argument schemas', () => {
  it('lists the live device names for each role, with units', () => {
    const schema = engine.planSchema('scan') as {
      properties: Record<
        string,
        { enum?: string[]; items?: { enum: string[] }; 'x-units'?: Record<string, string> }
      >;
    };
    assert.deepEqual(schema.properties.motor!.enum, [
      'meter.wavelength',
      'stage.axis1.position',
      'stage.axis2.position',
    ]);
    assert.equal(schema.properties.motor!['x-units']!['stage.axis1.position'], 'mm');
    const detectors = schema.properties.detectors!.items!.enum;
    assert.ok(detectors.includes('camera'));
    assert.ok(detectors.includes('meter.power'));
    assert.ok(!detectors.includes('laser.shutter_cmd'), 'write-only signals are not detectors');
  });

  it("ties start and stop to the chosen motor's limits", () => {
    const schema = engine.planSchema('scan') as { allOf: { if: unknown; then: unknown }[] };
    const rule = schema.allOf.find(
      (r) =>
        JSON.stringify(r.if) ===
        JSON.stringify({ properties: { motor: { const: 'stage.axis1.position' } }, required: ['motor'] }),
    );
    assert.deepEqual(rule?.then, {
      properties: {
        start: { minimum: -5, maximum: 5, 'x-unit': 'mm' },
        stop: { minimum: -5, maximum: 5, 'x-unit': 'mm' },
      },
    });
    const list = engine.planSchema('list_scan') as {
      allOf: { then: { properties: Record<string, unknown> } }[];
    };
    assert.ok(
      list.allOf.some(
        (r) =>
          JSON.stringify(r.then.properties.positions) ===
          JSON.stringify({ items: { minimum: 400, maximum: 1100, 'x-unit': 'nm' } }),
      ),
    );
  });
});

describe('plan size limits ([engine] max_points, max_duration_s)', () => {
  let limited: RunEngine;
  before(() => {
    limited = labEngine(lab, { plans: new PlanRegistry(builtinPlans, { maxPoints: 100, maxDurationS: 60 }) });
  });
  after(() => limited.shutdown());

  const refused = (plan: string, args: unknown): Record<string, string> => {
    try {
      limited.submit(plan, args);
    } catch (error) {
      assert.ok(isBenchtopError(error, 'VALIDATION_FAILED'), `expected VALIDATION_FAILED, got ${error}`);
      const list = (error as BenchtopError).details.problems as ArgProblem[];
      return Object.fromEntries(list.map((p) => [p.path, p.message]));
    }
    assert.fail('the request was accepted');
  };

  it('caps each point count in the schema, names the argument, the count and the limit', () => {
    const scan = { detectors: ['meter.power'], motor: 'stage.axis1.position', start: 0, stop: 1 };
    assert.match(refused('scan', { ...scan, num: 101 })['/num']!, /less or equal to 100; got 101/);
    assert.equal(
      (limited.planSchema('scan') as { properties: { num: { maximum: number } } }).properties.num.maximum,
      100,
    );
    const grid = refused('grid_scan', {
      detectors: ['meter.power'],
      axes: [
        { motor: 'stage.axis1.position', start: 0, stop: 1, num: 11 },
        { motor: 'stage.axis2.position', start: 0, stop: 1, num: 10 },
      ],
    });
    assert.equal(grid['/axes'], 'the run would have 110 points; the limit is 100 ([engine] max_points)');
    assert.match(
      refused('time_series', { signals: ['meter.power'], interval_s: 0.1, duration_s: 20 })['/interval_s']!,
      /201 points; the limit is 100/,
    );
  });

  it('refuses a run estimated to take longer than max_duration_s', () => {
    const found = refused('count', { detectors: ['meter.power'], num: 5, delay: 30 });
    assert.equal(
      found['/delay'],
      'the run would take at least 120 s; the limit is 60 s ([engine] max_duration_s)',
    );
    assert.match(
      refused('camera_acquire', { camera: 'camera', duration_s: 61, exposure_ms: 10 })['/duration_s']!,
      /at least 61 s/,
    );
  });

  it('accepts a run at the limits', async () => {
    const { uid } = limited.submit('count', { detectors: ['meter.power'], num: 100 });
    limited.abort();
    await limited.whenFinished(uid);
  });
});
