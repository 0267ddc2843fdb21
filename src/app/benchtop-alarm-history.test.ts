import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../core/logger.ts';
import {
  createThrowawayDatabase,
  postgresUnavailable,
  type ThrowawayDatabase,
} from '../storage/postgres/testing/throwaway-postgres.ts';
import { Benchtop } from './benchtop.ts';
import { loadBenchtopConfig } from './load-benchtop-config.ts';

const skip = await postgresUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'benchtop-alarm-history-'));
let db: ThrowawayDatabase | undefined;
after(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** The composition root as `benchtop start` builds it, with and without `[storage.postgres]`. */
const benchtop = (name: string, postgresUrl?: string) =>
  new Benchtop(
    loadBenchtopConfig({
      text: `[storage]\noutput_dir = "${join(dir, name)}"\n[server]\nport = 0\n${
        postgresUrl ? `[storage.postgres]\nurl = "${postgresUrl}"\ntimescaledb = "off"\n` : ''
      }`,
      env: {},
    }),
    silentLogger(),
  );

const LINE_ALARM = {
  id: 'line:assembly1:W204',
  kind: 'line',
  source: 'assembly1',
  description: 'Vision timeout',
  priority: 'medium',
  severity: 'minor',
} as const;

describe('Benchtop wires the alarm history to PostgreSQL', () => {
  it(
    'with [storage.postgres]: an alarm raised, acknowledged and cleared is in alarm_events and /health has alarm_history',
    { skip },
    async () => {
      db = await createThrowawayDatabase('benchtop_app_alarm_test');
      const app = benchtop('pg', db.url);
      await app.start();
      try {
        app.alarms.defineRaised(LINE_ALARM);
        app.alarms.setRaised(LINE_ALARM.id, true, { message: 'camera did not answer' });
        app.alarms.acknowledge(LINE_ALARM.id, 'ada', 'camera re-cabled');
        app.alarms.setRaised(LINE_ALARM.id, false);
        await app.alarmHistory!.queue.flush();
        const check = (await app.health.report()).checks.find((c) => c.name === 'alarm_history');
        assert.equal(check?.status, 'healthy');
      } finally {
        await app.stop();
      }
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query(
        `SELECT event, "user", comment FROM alarm_events WHERE alarm = $1 ORDER BY time, event`,
        [LINE_ALARM.id],
      );
      await client.end();
      assert.deepEqual(
        rows.map((r) => [r.event, r.user, r.comment]),
        [
          ['activated', null, 'camera did not answer'],
          ['acknowledged', 'ada', 'camera re-cabled'],
          ['cleared', null, null],
        ],
      );
    },
  );

  it('without it: no mirror, no alarm_history check, alarms.sqlite alone', async () => {
    const app = benchtop('sqlite');
    await app.start();
    try {
      assert.equal(app.alarmHistory, null);
      app.alarms.defineRaised(LINE_ALARM);
      app.alarms.setRaised(LINE_ALARM.id, true);
      assert.equal(app.alarms.history({ alarm: LINE_ALARM.id }).length, 1);
      const names = (await app.health.report()).checks.map((c) => c.name);
      assert.ok(!names.includes('alarm_history'));
    } finally {
      await app.stop();
    }
  });
});
