import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { InstrumentDetail, InstrumentSummary } from '../../src/server/api-types.ts';
import { buildServer } from '../../src/server/server.ts';

/**
 * The real drivers of the simulated lab through the API with the reply check on: every
 * instrument's description and every readable signal's reading must be what
 * src/server/api-types.ts says (a field or value type it does not name is a 500 here).
 */
describe('API contract over the simulated lab', () => {
  let bt: Benchtop;
  let app: FastifyInstance;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'benchtop-contract-'));
    const loaded = loadBenchtopConfig({
      file: join(import.meta.dirname, '../../config/default.toml'),
      flags: [
        { path: ['storage', 'output_dir'], value: dir, source: 'test' },
        { path: ['simulation', 'warmup_s'], value: 1, source: 'test' },
        { path: ['logging', 'groups'], value: [], source: 'test' },
      ],
    });
    bt = new Benchtop(loaded, silentLogger());
    await bt.startAcquisition();
    ({ app } = await buildServer(
      {
        config: bt.config,
        logger: bt.logger,
        bus: bt.bus,
        clock: bt.clock,
        instruments: bt.instruments,
        metrics: bt.metrics,
        health: bt.health,
        security: bt.security,
        alarms: bt.alarms,
        engine: bt.engine,
        catalog: bt.catalog,
      },
      { checkReplies: true },
    ));
  });
  after(async () => {
    await app?.close();
    await bt.stop();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    assert.ok(res.statusCode < 500, `GET ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  it('describes every instrument and reads every readable signal within the schemas', async () => {
    const list = (await get('/api/v1/instruments')) as InstrumentSummary[];
    assert.ok(list.length >= 5, `${list.length} instruments`);
    let reads = 0;
    for (const { id } of list) {
      const detail = (await get(`/api/v1/instruments/${id}`)) as InstrumentDetail;
      assert.equal(detail.id, id);
      for (const signal of detail.signals.filter((s) => s.readable)) {
        const res = await app.inject({
          method: 'GET',
          url: `/api/v1/instruments/${id}/signals/${signal.name}`,
        });
        // A signal the simulator refuses is a 4xx (checked against ErrorReply); never a 500.
        assert.ok(res.statusCode < 500, `${id}.${signal.name}: ${res.statusCode} ${res.body}`);
        if (res.statusCode === 200) reads++;
      }
    }
    assert.ok(reads > 10, `${reads} signals read`);
    await get('/api/v1/plans');
    await get('/api/v1/system');
    await get('/api/v1/alarms?state=all');
    await get('/health');
  });
});
