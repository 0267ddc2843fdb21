import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { currentShiftPeriod } from './current-shift.ts';
import { KPI_UPDATE_MS, LineKpiPublisher, type LineKpiUpdate } from './line-kpi-publisher.ts';
import { SqliteLineStore } from './store/sqlite-line-store.ts';
import { stateEvent, storedPart } from './testing/line-record-builders.ts';
import { testLineConfig } from './testing/line-test-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'line-kpi-publisher-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Turns the event loop until `done` (the store's queries are real I/O). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn > 10_000) throw new Error('never happened');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('live line KPIs', () => {
  const line = testLineConfig();

  it('the current shift so far: shift A from 06:00 to now; a night shift from the day before', () => {
    const now = Date.UTC(2026, 11, 1, 7, 30);
    const p = currentShiftPeriod(line, now);
    assert.deepEqual(p.window, { start: Date.UTC(2026, 11, 1, 6, 0), end: now });
    const night = testLineConfig({ shifts: [{ name: 'N', start: '22:00', end: '06:00', breaks: [] }] });
    const early = Date.UTC(2026, 11, 2, 3, 0);
    assert.deepEqual(currentShiftPeriod(night, early).window, {
      start: Date.UTC(2026, 11, 1, 22, 0),
      end: early,
    });
    const offShift = Date.UTC(2026, 11, 1, 23, 0);
    assert.equal(
      currentShiftPeriod(line, offShift).window.end - currentShiftPeriod(line, offShift).window.start,
      8 * 3600_000,
    );
  });

  it('published at most once per second, from the store, only after something changed', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 1, 7, 0, 0));
    const store = new SqliteLineStore(join(dir, 'kpis.sqlite'));
    const updates: { at: number; update: LineKpiUpdate }[] = [];
    const publisher = new LineKpiPublisher({
      lines: [line],
      store,
      clock,
      publish: (update) => updates.push({ at: clock.now(), update }),
    });
    await store.write({
      parts: [
        storedPart({ partId: 'A', time: clock.now() - 2000 }),
        storedPart({ partId: 'B', result: 'fail', time: clock.now() - 1000 }),
      ],
      defects: [],
      events: [stateEvent(Date.UTC(2026, 11, 1, 6, 0), 'running')],
    });
    await clock.advance(5000);
    assert.equal(updates.length, 0, 'nothing changed, nothing computed');
    for (let i = 0; i < 10; i++) {
      publisher.changed('assembly1');
      await clock.advance(KPI_UPDATE_MS / 10 - 1);
    }
    assert.equal(updates.length, 0, 'the first change starts the wait');
    await clock.advance(10);
    await until(() => updates.length === 1);
    publisher.changed('assembly1');
    await clock.advance(KPI_UPDATE_MS - 1);
    assert.equal(updates.length, 1, 'not within a second of the last');
    await clock.advance(1);
    await until(() => updates.length === 2);
    assert.ok(updates[1]!.at - updates[0]!.at >= KPI_UPDATE_MS);
    const { kpis, lineId, window } = updates[1]!.update;
    assert.equal(lineId, 'assembly1');
    assert.equal(window.start, Date.UTC(2026, 11, 1, 6, 0));
    assert.equal(kpis.produced, 2);
    assert.equal(kpis.quality, 0.5);
    publisher.changed('nope');
    await publisher.stop();
    await store.close();
  });
});
