import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { AlarmService } from '../../alarms/alarm-service.ts';
import { AlarmStore } from '../../alarms/alarm-store.ts';
import { AlarmEntry } from '../../config/schema.ts';
import { systemClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/logger.ts';
import { buildServer } from '../server.ts';

describe('alarm API', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  let store: AlarmStore;
  let service: AlarmService;
  before(async () => {
    h = await serverHarness();
    store = AlarmStore.inOutputDir(h.dir);
    service = new AlarmService({
      alarms: [Value.Default(AlarmEntry, { signal: 'motor.position', high: 5, priority: 'high' }) as never],
      instruments: [{ id: 'motor', type: 'FakeMotor' }],
      bus: h.bus,
      clock: systemClock,
      store,
      logger: silentLogger(),
    });
    service.start();
    h.ctx.metrics.attachAlarms(service);
    ({ app } = await buildServer({ ...h.ctx, alarms: service }, { checkReplies: true }));
  });
  after(async () => {
    await app.close();
    service.stop();
    store.close();
    await h.close();
  });

  it('lists an active alarm, acknowledges it with a comment (audited), keeps history', async () => {
    await h.instrument.write('position', 7);
    await h.instrument.read('position');
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/alarms' })).json();
    assert.deepEqual(
      listed.alarms.map((a: { id: string; state: string; condition: string }) => [
        a.id,
        a.state,
        a.condition,
      ]),
      [['motor.position', 'unack_active', 'HIGH']],
    );
    const ack = await app.inject({
      method: 'POST',
      url: '/api/v1/alarms/motor.position/ack',
      payload: { comment: 'stage parked high on purpose' },
    });
    assert.equal(ack.statusCode, 200);
    assert.equal(ack.json().state, 'ack_active');
    const again = await app.inject({ method: 'POST', url: '/api/v1/alarms/motor.position/ack', payload: {} });
    assert.deepEqual([again.statusCode, again.json().error.code], [409, 'ALARM_STATE_CONFLICT']);
    const history = (
      await app.inject({ method: 'GET', url: '/api/v1/alarms/history?alarm=motor.position' })
    ).json();
    assert.deepEqual(
      history.map((e: { event: string }) => e.event),
      ['acknowledged', 'activated'],
    );
    assert.equal(
      h.security.auditLog({ action: 'alarm.ack' }).find((e) => e.result === 'ok')?.target,
      'motor.position',
    );
  });

  it('shelves with a reason and a bounded duration, unshelves', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/alarms/motor.position/shelve',
      payload: { reason: 'x', duration_s: 999_999 },
    });
    assert.deepEqual([bad.statusCode, bad.json().error.code], [400, 'VALIDATION_FAILED']);
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/alarms/motor.position/shelve',
      payload: { duration_s: 60 },
    });
    assert.equal(missing.statusCode, 400);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/alarms/motor.position/shelve',
      payload: { reason: 'recalibrating', duration_s: 60 },
    });
    assert.equal(ok.json().state, 'shelved');
    const shelved = (await app.inject({ method: 'GET', url: '/api/v1/alarms?state=shelved' })).json();
    assert.equal(shelved.alarms.length, 1);
    const un = await app.inject({
      method: 'POST',
      url: '/api/v1/alarms/motor.position/unshelve',
      payload: { comment: 'done' },
    });
    assert.equal(un.json().shelved, null);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/v1/alarms/nope/ack', payload: {} })).json().error.code,
      'ALARM_NOT_FOUND',
    );
  });

  it('alarm metrics are exported', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /^benchtop_alarms_active\{priority="high"\} 1$/m);
    assert.match(text, /^benchtop_alarm_flood 0$/m);
  });
});
