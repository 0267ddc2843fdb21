import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';

describe('instrument API', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  before(async () => {
    h = await serverHarness();
  });
  after(async () => h.close());

  const json = async (method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) => {
    const res = await h.app.inject({
      method,
      url,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.json() };
  };

  it('lists instruments with their state', async () => {
    const { status, body } = await json('GET', '/api/v1/instruments');
    assert.equal(status, 200);
    assert.deepEqual(
      body.map((i: { id: string; type: string; state: string }) => [i.id, i.type, i.state]),
      [['motor', 'FakeMotor', 'ready']],
    );
  });

  it('describes an instrument: signals with type/unit/limits/writable and value schemas, actions with argument schemas', async () => {
    const { status, body } = await json('GET', '/api/v1/instruments/motor');
    assert.equal(status, 200);
    const position = body.signals.find((s: { name: string }) => s.name === 'position');
    assert.equal(position.unit, 'mm');
    assert.deepEqual(position.limits, { min: -10, max: 10 });
    assert.equal(position.writable, true);
    assert.equal(position.schema.maximum, 10);
    assert.equal(body.actions[0].args.properties.delta.type, 'number');
    assert.equal(body.state, 'ready');
  });

  it('reads and writes signals; a write waits for completion and returns the new value', async () => {
    const put = await json('PUT', '/api/v1/instruments/motor/signals/position', { value: 4 });
    assert.equal(put.status, 200);
    assert.equal(put.body.value, 4);
    assert.equal(put.body.done, true);
    const get = await json('GET', '/api/v1/instruments/motor/signals/position');
    assert.deepEqual([get.status, get.body.value, get.body.unit], [200, 4, 'mm']);
    const nowait = await json('PUT', '/api/v1/instruments/motor/signals/position?wait=false', { value: 0 });
    assert.deepEqual(nowait.body, { ok: true, done: false });
  });

  it('runs actions with validated arguments', async () => {
    const res = await json('POST', '/api/v1/instruments/motor/actions/jog', { args: { delta: 0.5 } });
    assert.deepEqual([res.status, res.body.result], [200, { moved: 0.5 }]);
  });

  const errorCases: [string, 'GET' | 'PUT' | 'POST', string, unknown, number, string][] = [
    ['unknown instrument', 'GET', '/api/v1/instruments/laser', undefined, 404, 'INSTRUMENT_NOT_FOUND'],
    ['unknown signal', 'GET', '/api/v1/instruments/motor/signals/warp', undefined, 404, 'SIGNAL_NOT_FOUND'],
    [
      'read-only signal',
      'PUT',
      '/api/v1/instruments/motor/signals/broken',
      { value: 1 },
      405,
      'SIGNAL_READ_ONLY',
    ],
    [
      'out of range',
      'PUT',
      '/api/v1/instruments/motor/signals/position',
      { value: 99 },
      422,
      'VALUE_OUT_OF_RANGE',
    ],
    [
      'wrong type',
      'PUT',
      '/api/v1/instruments/motor/signals/position',
      { value: 'far' },
      400,
      'VALUE_INVALID',
    ],
    [
      'unknown body field',
      'PUT',
      '/api/v1/instruments/motor/signals/position',
      { value: 1, speed: 2 },
      400,
      'VALIDATION_FAILED',
    ],
    ['missing value', 'PUT', '/api/v1/instruments/motor/signals/position', {}, 400, 'VALIDATION_FAILED'],
    [
      'bad action args',
      'POST',
      '/api/v1/instruments/motor/actions/jog',
      { args: { delta: 7 } },
      400,
      'VALIDATION_FAILED',
    ],
    [
      'unknown action',
      'POST',
      '/api/v1/instruments/motor/actions/warp',
      { args: {} },
      404,
      'ACTION_NOT_FOUND',
    ],
    ['unknown route', 'GET', '/api/v1/nothing', undefined, 404, 'NOT_FOUND'],
  ];
  for (const [name, method, url, payload, status, code] of errorCases) {
    it(`${name} → ${status} ${code}`, async () => {
      const res = await json(method, url, payload);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, code);
      assert.equal(typeof res.body.error.message, 'string');
      assert.equal(typeof res.body.error.details, 'object');
    });
  }

  it('malformed JSON is a 400 with a clear message, never a 500', async () => {
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/instruments/motor/signals/position',
      headers: { 'content-type': 'application/json' },
      payload: '{"value": ',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'VALIDATION_FAILED');
  });

  it('a huge body is refused with 413', async () => {
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/instruments/motor/signals/position',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ value: 'x'.repeat(2 * 1024 * 1024) }),
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'VALIDATION_FAILED');
  });

  it('serves the OpenAPI document and health', async () => {
    const openapi = await json('GET', '/api/v1/openapi.json');
    assert.equal(openapi.status, 200);
    assert.ok(openapi.body.paths['/api/v1/instruments/{id}/signals/{signal}']);
    const health = await json('GET', '/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'healthy');
    assert.deepEqual(
      health.body.checks.map((c: { name: string }) => c.name),
      ['instruments', 'storage'],
    );
  });

  it('exports Prometheus metrics with real values', async () => {
    await json('GET', '/api/v1/instruments/motor/signals/position');
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    const text = res.body;
    assert.match(text, /^benchtop_active_instruments 1$/m);
    assert.match(text, /^benchtop_instrument_connected\{instrument="motor",type="FakeMotor"\} 1$/m);
    assert.match(text, /^benchtop_instrument_state\{instrument="motor",state="ready"\} 1$/m);
    assert.match(text, /^benchtop_data_points_total [1-9]\d*$/m);
    assert.match(text, /^benchtop_actor_mailbox_depth\{actor="motor"\} 0$/m);
    assert.match(text, /^benchtop_disk_free_bytes [1-9]/m);
    assert.match(text, /^benchtop_process_resident_memory_bytes [1-9]/m);
  });
});

describe('system API', () => {
  it('serves the redacted config to admins, system facts and recent logs', async () => {
    const { serverHarness: make } = await import('../../../test/support/server-harness.ts');
    const h = await make('[security]\njwt_secret = "0123456789abcdef0123456789abcdef-secret"\n');
    try {
      const config = (await h.app.inject({ method: 'GET', url: '/api/v1/config' })).json();
      assert.equal(config.security.jwt_secret, '***');
      assert.equal(config.server.port, 8080);
      const system = (await h.app.inject({ method: 'GET', url: '/api/v1/system' })).json();
      assert.equal(system.versions.node, process.versions.node);
      assert.deepEqual(system.instruments, [{ id: 'motor', type: 'FakeMotor', state: 'ready' }]);
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/logs' })).statusCode, 200);
    } finally {
      await h.close();
    }
  });
});

describe('actions without a body', () => {
  it('a POST with no body means no arguments', async () => {
    const { serverHarness: make } = await import('../../../test/support/server-harness.ts');
    const h = await make();
    try {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/instruments/motor/actions/jog' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED');
      assert.match(res.json().error.message, /delta/, 'the action itself says which argument is missing');
    } finally {
      await h.close();
    }
  });
});

describe('storage metrics', () => {
  it('report writer queue use and count each dropped item once', async () => {
    const { serverHarness: make } = await import('../../../test/support/server-harness.ts');
    const h = await make();
    try {
      let queued = 30;
      h.ctx.metrics.attachStorage({
        runWriter: () => ({ format: 'hdf5', stats: () => ({ queued, capacity: 120 }) }),
        parameterLog: () => ({ queueUsage: () => 0.5, stats: () => [{ group: 'lab', dropped: 2 }] }),
      });
      const warn = (dropped: number) =>
        h.bus.emit('run.warning', {
          uid: 'r1',
          kind: 'writer_dropped',
          message: 'dropped',
          details: { dropped },
        });
      warn(3);
      warn(5);
      const text = async () => (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
      let t = await text();
      assert.match(t, /^benchtop_storage_queue_usage_ratio\{writer="hdf5"\} 0\.25$/m);
      assert.match(t, /^benchtop_storage_queue_usage_ratio\{writer="parameter_log"\} 0\.5$/m);
      assert.match(t, /^benchtop_storage_dropped_total\{writer="run"\} 5$/m);
      assert.match(t, /^benchtop_storage_dropped_total\{writer="parameter_log"\} 2$/m);
      queued = 0;
      t = await text();
      assert.match(
        t,
        /^benchtop_storage_dropped_total\{writer="parameter_log"\} 2$/m,
        'totals are not counted twice',
      );
      assert.match(t, /^benchtop_storage_writer_queued\{writer="hdf5"\} 0$/m);
    } finally {
      await h.close();
    }
  });
});
