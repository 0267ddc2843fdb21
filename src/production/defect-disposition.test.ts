import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import { isBenchtopError } from '../core/errors.ts';
import { disposeDefect } from './defect-disposition.ts';
import { SqliteLineStore } from './store/sqlite-line-store.ts';
import { storedDefect, storedPart } from './testing/line-record-builders.ts';

const dir = mkdtempSync(join(tmpdir(), 'disposition-'));
const store = new SqliteLineStore(join(dir, 'p.sqlite'));
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
const clock = new ManualClock(Date.UTC(2026, 11, 1, 9));

describe('defect disposition', () => {
  it('a supervisor or quality user dispositions a defect; each change is audited with old and new values', async () => {
    const part = storedPart();
    const defect = storedDefect(part);
    await store.write({ parts: [part], defects: [defect], events: [] });
    const first = await disposeDefect(store, clock, {
      defectId: defect.id,
      disposition: 'rework',
      note: 'polish edge',
      user: { name: 'dana', role: 'quality' },
    });
    assert.deepEqual(
      [first.disposition, first.note, first.dispositionBy, first.dispositionAt],
      ['rework', 'polish edge', 'dana', clock.now()],
    );
    await clock.advance(60_000);
    await disposeDefect(store, clock, {
      defectId: defect.id,
      disposition: 'accept',
      user: { name: 'sam', role: 'supervisor' },
    });
    const log = await store.auditLog(10);
    assert.deepEqual(
      log.map((e) => [e.user, e.action, e.resource, e.oldValue, e.newValue]),
      [
        [
          'sam',
          'defect.disposition',
          `defect/${defect.id}`,
          { disposition: 'rework', note: 'polish edge', by: 'dana' },
          { disposition: 'accept', note: null, by: 'sam', role: 'supervisor' },
        ],
        [
          'dana',
          'defect.disposition',
          `defect/${defect.id}`,
          { disposition: 'pending', note: null, by: null },
          { disposition: 'rework', note: 'polish edge', by: 'dana', role: 'quality' },
        ],
      ],
    );
  });

  it('operators and viewers are refused (FORBIDDEN) and nothing changes or is audited', async () => {
    const part = storedPart();
    const defect = storedDefect(part);
    await store.write({ parts: [part], defects: [defect], events: [] });
    const before = (await store.auditLog(100)).length;
    for (const role of ['operator', 'viewer', 'maintenance']) {
      await assert.rejects(
        disposeDefect(store, clock, {
          defectId: defect.id,
          disposition: 'reject',
          user: { name: 'op', role },
        }),
        (e) => isBenchtopError(e, 'FORBIDDEN'),
      );
    }
    assert.equal((await store.defect(defect.id))!.disposition, 'pending');
    assert.equal((await store.auditLog(100)).length, before);
  });

  it('a bad disposition or unknown defect is refused', async () => {
    const admin = { name: 'root', role: 'admin' };
    await assert.rejects(
      disposeDefect(store, clock, { defectId: 'x', disposition: 'pending', user: admin }),
      (e) => isBenchtopError(e, 'VALIDATION_FAILED'),
    );
    await assert.rejects(
      disposeDefect(store, clock, { defectId: 'nope', disposition: 'accept', user: admin }),
      (e) => isBenchtopError(e, 'NOT_FOUND'),
    );
  });
});
