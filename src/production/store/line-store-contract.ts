import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stateEvent, storedDefect, storedPart } from '../testing/line-record-builders.ts';
import type { LineStore } from './line-store.ts';

/** The behaviour both line stores must share, run against each. */
export function lineStoreContract(
  name: string,
  open: () => Promise<LineStore>,
  skip: string | false = false,
): void {
  describe(`${name} (line store contract)`, { skip }, () => {
    let store: LineStore;
    before(async () => {
      store = await open();
    });
    after(async () => {
      await store?.close();
    });

    it('writes parts, defects and events and reads them back by window', async () => {
      const t0 = Date.UTC(2026, 11, 1, 6, 0, 0);
      const a = storedPart({ time: t0 + 1000, partId: 'A1' });
      const b = storedPart({
        time: t0 + 2000,
        partId: 'B1',
        result: 'fail',
        reason: null,
        cycleTimeMs: null,
      });
      const outside = storedPart({ time: t0 + 3_600_000, partId: 'C1' });
      const d = storedDefect(b, { class: 'dent', box: { x: 1, y: 2 } });
      await store.write({
        parts: [a, b, outside],
        defects: [d],
        events: [stateEvent(t0, 'running'), stateEvent(t0 + 1500, 'fault', 1500)],
      });
      const window = { lineId: 'assembly1', from: t0, to: t0 + 10_000 };
      assert.deepEqual(await store.parts(window), [a, b]);
      assert.deepEqual(await store.defects(window), [d]);
      const events = await store.events(window);
      assert.deepEqual(
        events.map((e) => [e.time - t0, e.state, e.previousDurationMs]),
        [
          [0, 'running', null],
          [1500, 'fault', 1500],
        ],
      );
      assert.equal(await store.stateBefore('assembly1', t0 + 1600), 'fault');
      assert.equal(await store.stateBefore('assembly1', t0), null);
      assert.deepEqual(await store.parts({ ...window, lineId: 'other' }), []);
    });

    it('a batch written twice is stored once (retries are idempotent)', async () => {
      const p = storedPart({ partId: 'DUP', time: Date.UTC(2026, 11, 2) });
      const batch = { parts: [p], defects: [storedDefect(p)], events: [] };
      await store.write(batch);
      await store.write(batch);
      assert.equal(await store.inspectionCount('assembly1', 'DUP'), 1);
      const window = { lineId: 'assembly1', from: p.time, to: p.time + 1 };
      assert.equal((await store.defects(window)).length, 1);
    });

    it('a disposition updates the defect and writes the audit entry', async () => {
      const p = storedPart({ time: Date.UTC(2026, 11, 3) });
      const d = storedDefect(p);
      await store.write({ parts: [p], defects: [d], events: [] });
      const at = Date.UTC(2026, 11, 3, 1);
      const updated = await store.dispose(
        d.id,
        { disposition: 'rework', note: 'polish', by: 'sam', at },
        {
          time: at,
          user: 'sam',
          action: 'defect.disposition',
          resource: d.id,
          oldValue: 'pending',
          newValue: 'rework',
        },
      );
      assert.deepEqual(
        [updated.disposition, updated.note, updated.dispositionBy, updated.dispositionAt],
        ['rework', 'polish', 'sam', at],
      );
      const [entry] = await store.auditLog(1);
      assert.deepEqual(entry, {
        time: at,
        user: 'sam',
        action: 'defect.disposition',
        resource: d.id,
        oldValue: 'pending',
        newValue: 'rework',
      });
      assert.equal(await store.defect('no-such-defect'), undefined);
    });

    it('deletes records older than a cut-off and reports its schema', async () => {
      const old = storedPart({ time: Date.UTC(2020, 0, 1) });
      await store.write({
        parts: [old],
        defects: [storedDefect(old)],
        events: [stateEvent(old.time, 'stopped')],
      });
      const deleted = await store.deleteOlderThan(Date.UTC(2021, 0, 1));
      if (store.kind !== 'timescaledb') assert.equal(deleted, 3);
      const status = await store.status();
      assert.equal(status.version, status.latest);
      assert.equal(status.applied[0]!.version, 1);
    });
  });
}
