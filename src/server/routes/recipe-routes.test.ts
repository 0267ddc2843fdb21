import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverHarness } from '../../../test/support/server-harness.ts';
import { RecipeStore } from '../../storage/recipes/recipe-store.ts';
import { buildServer } from '../server.ts';

const CONFIG = `[security]
auth = "required"
jwt_secret = "${'r'.repeat(48)}"
[process]
default_purge_gas = "N2"
[process.valves]
TMA = { signal = "plc.valve1_tma" }
N2 = { signal = "plc.valve3_n2_purge" }
[process.gases]
N2 = { valve = "N2" }
`;

const TEXT = `name = "pulse"
[[steps]]
type = "valve"
valve = "TMA"
duration_ms = 100
[[steps]]
type = "purge"
duration_ms = 3000
`;

describe('/api/v1/recipes', () => {
  let h: Awaited<ReturnType<typeof serverHarness>>;
  let app: Awaited<ReturnType<typeof buildServer>>['app'];
  let store: RecipeStore;
  let keys: Record<'viewer' | 'operator', string>;
  before(async () => {
    h = await serverHarness(CONFIG);
    store = RecipeStore.inOutputDir(h.dir);
    ({ app } = await buildServer({ ...h.ctx, recipes: store }));
    keys = {
      viewer: h.security.createKey('dashboard', 'viewer').key,
      operator: h.security.createKey('process-engineer', 'operator').key,
    };
  });
  after(async () => {
    await app.close();
    store.close();
    await h.close();
  });
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, key: string, payload?: unknown) =>
    app.inject({ method, url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });

  it('an operator saves a file; every save is a new version; a viewer reads any version', async () => {
    const first = await call('POST', '/api/v1/recipes', keys.operator, { text: TEXT });
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual([first.json().name, first.json().version], ['pulse', 1]);
    const changed = TEXT.replace('duration_ms = 100', 'duration_ms = 150');
    const second = await call('PUT', '/api/v1/recipes/pulse', keys.operator, { text: changed });
    assert.equal(second.json().version, 2);
    const list = (await call('GET', '/api/v1/recipes', keys.viewer)).json();
    assert.deepEqual(
      list.map((r: { name: string; version: number }) => [r.name, r.version]),
      [['pulse', 2]],
    );
    const v1 = (await call('GET', '/api/v1/recipes/pulse?version=1', keys.viewer)).json();
    assert.equal(v1.recipe.steps[0].duration_ms, 100);
    assert.equal(
      (await call('GET', '/api/v1/recipes/pulse', keys.viewer)).json().recipe.steps[0].duration_ms,
      150,
    );
    assert.equal(h.security.auditLog({ action: 'recipe.save' }).filter((e) => e.result === 'ok').length, 2);
  });

  it('refuses a viewer write, and a recipe naming an unknown valve with every problem', async () => {
    const viewer = await call('POST', '/api/v1/recipes', keys.viewer, { text: TEXT });
    assert.equal(viewer.statusCode, 403);
    const bad = await call('POST', '/api/v1/recipes', keys.operator, {
      recipe: {
        name: 'bad',
        steps: [
          { type: 'valve', valve: 'XX', duration_ms: 5 },
          { type: 'purge', duration_ms: 1, gas: 'Ar' },
        ],
      },
    });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(
      bad.json().error.details.problems.map((p: { path: string }) => p.path),
      ['/steps/0/valve', '/steps/1/gas'],
    );
  });

  it('delete hides the name; its versions stay readable', async () => {
    assert.equal((await call('DELETE', '/api/v1/recipes/pulse', keys.operator)).statusCode, 204);
    assert.deepEqual((await call('GET', '/api/v1/recipes', keys.viewer)).json(), []);
    assert.equal((await call('GET', '/api/v1/recipes/pulse', keys.viewer)).statusCode, 404);
    assert.equal((await call('GET', '/api/v1/recipes/pulse?version=2', keys.viewer)).statusCode, 200);
  });
});
