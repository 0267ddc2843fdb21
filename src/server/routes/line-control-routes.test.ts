import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { ManualClock } from '../../core/clock.ts';
import { LineControl, RESET_PULSE_MS } from '../../production/line-control.ts';
import { SqliteLineStore } from '../../production/store/sqlite-line-store.ts';
import { FakeLinePlc } from '../../production/testing/fake-line-plc.ts';
import { testLineConfig } from '../../production/testing/line-test-config.ts';
import type { Role } from '../auth/roles.ts';
import { buildServer } from '../server.ts';

const SECURED = `[security]\nauth = "required"\njwt_secret = "${'s'.repeat(40)}"\n`;

describe('line control API: run, stop, reset, emergency stop by role', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  let store: SqliteLineStore;
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 7, 0, 0));
  const plc = new FakeLinePlc(clock, { 'Line.RunCmd': false, 'Line.Reset': false, 'Emergency.Stop': false });
  // The harness's motor stands in for the line's PLC instrument (its signal routes are guarded).
  const line = testLineConfig({
    plc: 'motor',
    run_tag: 'Line.RunCmd',
    reset_tag: 'Line.Reset',
    emergency_stop_tag: 'Emergency.Stop',
  });
  const keys = {} as Record<Role, string>;
  before(async () => {
    h = await serverHarness(SECURED);
    store = new SqliteLineStore(`${h.dir}/production.sqlite`);
    const control = new LineControl({ line, plc, clock });
    ({ app } = await buildServer(
      {
        ...h.ctx,
        production: { lines: [line], store, control: (id) => (id === line.id ? control : undefined) },
        // Every reply is checked against its route's response schema (a mismatch is a 500).
      },
      { checkReplies: true },
    ));
    for (const role of ['viewer', 'maintenance', 'operator', 'supervisor', 'admin'] as const)
      keys[role] = h.security.createKey(`k-${role}`, role).key;
  });
  after(async () => {
    await app.close();
    await store.close();
    await h.close();
  });
  const post = (path: string, role: Role, body?: unknown) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/lines/assembly1/${path}`,
      headers: { 'x-api-key': keys[role] },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const writesOf = (tag: string) => plc.writes.filter((w) => w.tag === tag).map((w) => w.value);

  it('run and stop: operator and above; viewer and maintenance refused (403), nothing written', async () => {
    for (const role of ['viewer', 'maintenance'] as const)
      assert.equal((await post('control/run', role)).statusCode, 403, role);
    assert.deepEqual(writesOf('Line.RunCmd'), []);
    const run = await post('control/run', 'operator');
    assert.equal(run.statusCode, 200, run.body);
    assert.deepEqual(run.json(), { line: 'assembly1', command: 'run', tag: 'Line.RunCmd', value: true });
    assert.equal((await post('control/stop', 'supervisor')).statusCode, 200);
    assert.deepEqual(writesOf('Line.RunCmd'), [true, false]);
  });

  it('reset: supervisor and above; the pulse falls back to false after 1 s', async () => {
    assert.equal((await post('control/reset', 'operator')).statusCode, 403);
    assert.deepEqual(writesOf('Line.Reset'), []);
    assert.equal((await post('control/reset', 'supervisor')).statusCode, 200);
    assert.deepEqual(writesOf('Line.Reset'), [true]);
    await clock.advance(RESET_PULSE_MS);
    assert.deepEqual(writesOf('Line.Reset'), [true, false]);
    assert.equal(plc.tags.get('Line.Reset'), false);
  });

  it('PLC tag writes: supervisor and above', async () => {
    assert.equal((await post('plc/write', 'operator', { tag: 'Quality.Result', value: 1 })).statusCode, 403);
    const ok = await post('plc/write', 'admin', { tag: 'Quality.Result', value: 1 });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(writesOf('Quality.Result'), [1]);
    assert.equal((await post('plc/write', 'admin', { tag: 'Line.RunCmd', value: 'yes' })).statusCode, 400);
    assert.deepEqual(writesOf('Quality.Result'), [1]);
  });

  it("the PLC instrument's own signal writes: supervisor and above too", async () => {
    const put = (role: Role) =>
      app.inject({
        method: 'PUT',
        url: '/api/v1/instruments/motor/signals/position',
        headers: { 'x-api-key': keys[role] },
        payload: { value: 1 },
      });
    assert.equal((await put('operator')).statusCode, 403);
    const ok = await put('supervisor');
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('emergency stop: operator and above, audited every time, refused or failed included', async () => {
    assert.equal((await post('control/emergency-stop', 'maintenance')).statusCode, 403);
    assert.equal((await post('control/emergency-stop', 'operator')).statusCode, 200);
    assert.equal(plc.tags.get('Emergency.Stop'), true);
    // Releasing it is a reset's kind of decision: a supervisor's.
    assert.equal((await post('control/emergency-stop/release', 'operator')).statusCode, 403);
    plc.linkDown = true;
    const failed = await post('control/emergency-stop', 'operator');
    assert.ok(failed.statusCode >= 500, `${failed.statusCode}`);
    plc.linkDown = false;
    assert.equal((await post('control/emergency-stop/release', 'supervisor')).statusCode, 200);
    assert.equal(plc.tags.get('Emergency.Stop'), false);
    const audited = h.security.auditLog({ action: 'line.emergency_stop' }).map((a) => [a.actor, a.result]);
    assert.deepEqual(audited, [
      ['k-operator', 'error'],
      ['k-operator', 'ok'],
      ['k-maintenance', 'denied'],
    ]);
  });

  it('status: a viewer sees the commands the line has tags for, with their least roles', async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/api/v1/lines/assembly1/status',
      headers: { 'x-api-key': keys.viewer },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().commands, ['run', 'stop', 'reset', 'emergency_stop', 'release_emergency_stop']);
    assert.equal(r.json().command_roles.reset, 'supervisor');
  });

  it('an unknown line is 404', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/lines/nope/control/emergency-stop',
      headers: { 'x-api-key': keys.operator },
    });
    assert.equal(r.statusCode, 404);
  });

  it('status: a viewer reads the line, the commands it accepts and their least role, within the schema', async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/api/v1/lines/assembly1/status',
      headers: { 'x-api-key': keys.viewer },
    });
    assert.equal(r.statusCode, 200, r.body);
    const status = r.json();
    assert.equal(status.line, 'assembly1');
    assert.equal(status.command_roles.reset, 'supervisor');
    assert.equal(status.command_roles.emergency_stop, 'operator');
    assert.ok(Array.isArray(status.commands));
  });
});
