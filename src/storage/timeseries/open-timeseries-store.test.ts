import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { openTimeSeriesStore } from './open-timeseries-store.ts';
import { TIMESERIES_FILE } from './sqlite-timeseries-store.ts';

it('opens the SQLite parameter log in output_dir when no PostgreSQL url is configured', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-open-ts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { config } = loadBenchtopConfig({ text: `[storage]\noutput_dir = ${JSON.stringify(dir)}\n` });
  const store = await openTimeSeriesStore(config.storage);
  assert.equal(store.kind, 'sqlite');
  assert.ok(existsSync(join(dir, TIMESERIES_FILE)));
  await store.close();
});
