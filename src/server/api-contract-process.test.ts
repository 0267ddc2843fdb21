import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { serverHarness } from '../../test/support/server-harness.ts';
import { SqliteLineStore } from '../production/store/sqlite-line-store.ts';
import { testLineConfig } from '../production/testing/line-test-config.ts';
import { syntheticShiftRecords } from '../production/testing/synthetic-shift.ts';
import { RecipeStore } from '../storage/recipes/recipe-store.ts';
import { buildServer } from './server.ts';

const CONFIG = `[security]
auth = "required"
jwt_secret = "${'p'.repeat(48)}"
[process]
default_purge_gas = "N2"
sample_signals = ["motor.position"]
[process.valves]
TMA = { signal = "plc.valve1_tma", feedback = "plc.valve1_open" }
N2 = { signal = "plc.valve3_n2_purge" }
[process.gases]
N2 = { valve = "N2", flow_signal = "mfc.flow_sccm" }
[process.parameters]
temperature = "heater.temperature"
`;

const TEXT = `name = "pulse"
description = "one TMA pulse, then purge"
[[steps]]
type = "valve"
valve = "TMA"
duration_ms = 100
[[steps]]
type = "purge"
duration_ms = 3000
`;

/** The routes that exist only when recipes and [[lines]] are configured. */
const PROCESS_TAGS = ['recipes', 'lines'];

/**
 * The contract of src/server/api-contract.test.ts for the routes a plain server does not
 * register: a server with a recipe store and a production line drives every recipe and line route
 * to 2xx with the reply check on (and once through the production serialiser), and its OpenAPI
 * document is validated whole, these operations included.
 */
for (const checkReplies of [true, false])
  describe(
    checkReplies ? 'recipe and line API contract' : 'recipe and line API, production serialiser',
    () => {
      let h: Awaited<ReturnType<typeof serverHarness>>;
      let app: FastifyInstance;
      let recipes: RecipeStore;
      let lines: SqliteLineStore;
      let key = '';
      const routes: string[] = [];
      const succeeded = new Set<string>();
      const line = testLineConfig();
      const shift = syntheticShiftRecords(line, {
        seed: 5,
        date: '2026-12-01',
        shiftName: 'A',
        faultAt: '12:00',
        faultMs: 10 * 60_000,
        faultCode: 'F301',
        microStopRate: 0.05,
        microStopMs: 2000,
        jitterMs: 100,
        defectRates: { scratch: 0.02, dent: 0.01 },
      });

      before(async () => {
        h = await serverHarness(CONFIG);
        recipes = RecipeStore.inOutputDir(h.dir);
        lines = new SqliteLineStore(`${h.dir}/production.sqlite`);
        await lines.write(shift.batch);
        const onRoute = (r: RouteOptions) => {
          const tags = (r.schema as { tags?: string[] } | undefined)?.tags ?? [];
          if (!tags.some((t) => PROCESS_TAGS.includes(t))) return;
          for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${r.url}`);
        };
        ({ app } = await buildServer(
          { ...h.ctx, recipes, production: { lines: [line], store: lines } },
          { onRoute, checkReplies },
        ));
        app.addHook('onResponse', async (request, reply) => {
          if (reply.statusCode < 300) succeeded.add(`${request.method} ${request.routeOptions.url}`);
        });
        key = h.security.createKey('qa-lead', 'admin').key;
      });
      after(async () => {
        await app.close();
        recipes.close();
        await lines.close();
        await h.close();
      });

      const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
        const res = await app.inject({
          method,
          url,
          headers: { 'x-api-key': key },
          ...(payload ? { payload } : {}),
        });
        assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
        return res.body ? res.json() : undefined;
      };

      it(
        checkReplies
          ? 'every recipe and line route replies within its response schema'
          : 'every recipe and line route replies',
        async () => {
          const processMap = await call('GET', '/api/v1/process');
          assert.equal(processMap.valves.TMA.feedback, 'plc.valve1_open');
          const checked = await call('POST', '/api/v1/recipes/validate', { text: TEXT });
          assert.equal(checked.recipe.steps.length, 2);
          const saved = await call('POST', '/api/v1/recipes', { text: TEXT });
          assert.deepEqual([saved.name, saved.version, saved.source], ['pulse', 1, TEXT]);
          const again = await call('PUT', '/api/v1/recipes/pulse', { recipe: saved.recipe });
          assert.equal(again.version, 2);
          assert.equal((await call('GET', '/api/v1/recipes')).length, 1);
          assert.equal(
            (await call('GET', '/api/v1/recipes/pulse?version=1')).recipe.description,
            saved.recipe.description,
          );
          assert.equal((await call('GET', '/api/v1/recipes/pulse/versions')).length, 2);
          await call('DELETE', '/api/v1/recipes/pulse');

          const listed = await call('GET', '/api/v1/lines');
          assert.equal(listed.lines[0].id, line.id);
          const report = await call('GET', `/api/v1/lines/${line.id}/kpis?date=2026-12-01&shift=A`);
          assert.equal(report.kpis.produced, shift.batch.parts.length);
          assert.ok(report.cycleTimeChart.points.length > 0);
          const window = 'from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z';
          const { defects } = await call('GET', `/api/v1/lines/${line.id}/defects?${window}&limit=3`);
          assert.equal(defects.length, 3);
          const disposed = await call(
            'POST',
            `/api/v1/lines/${line.id}/defects/${defects[0].id}/disposition`,
            {
              disposition: 'rework',
              note: 'polish',
            },
          );
          assert.deepEqual([disposed.disposition, disposed.dispositionBy], ['rework', 'qa-lead']);

          assert.ok(routes.length >= 12, `${routes.length} recipe and line routes`);
          assert.deepEqual(
            routes.filter((r) => !succeeded.has(r)),
            [],
            'every recipe and line route answered 2xx at least once',
          );
        },
      );

      if (checkReplies)
        it('the OpenAPI document is valid and every recipe and line operation describes its responses', async () => {
          const res = await app.inject({
            method: 'GET',
            url: '/api/v1/openapi.json',
            headers: { 'x-api-key': key },
          });
          const doc = res.json();
          await SwaggerParser.validate(structuredClone(doc));
          const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
            ([path, methods]) =>
              Object.entries(methods)
                .filter(([, op]) => op.tags?.some((t) => PROCESS_TAGS.includes(t)))
                .map(([method, op]) => ({ id: `${method} ${path}`, op })),
          );
          assert.equal(operations.length, routes.length, 'every recipe and line route is documented');
          const lacking = operations.filter(({ op }) => {
            const ok = op.responses?.['200'] ?? op.responses?.['201'];
            // A reply with no body (204) documents itself by its status alone.
            const hasContent = ok
              ? ok.content && Object.values(ok.content).every((c) => c.schema)
              : op.responses?.['204'] !== undefined;
            const hasErrors = op.responses?.['4XX'] ?? op.responses?.['4xx'];
            return !op.summary || !hasContent || !hasErrors;
          });
          assert.deepEqual(
            lacking.map((o) => o.id),
            [],
            'operations without a summary, a success reply or error replies',
          );
        });
    },
  );

interface Operation {
  summary?: string;
  tags?: string[];
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
