import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resultTable } from '../../web/src/forms/result-table.ts';

/** The action form shows a list of records (a LogixPlc's list_tags) as a table, anything else as JSON. */
describe('dashboard action results', () => {
  it('a single list of flat records becomes columns and rows', () => {
    const tags = {
      tags: [
        { name: 'Line.State', type: 'DINT', dimensions: 0 },
        { name: 'Temps', type: 'REAL', dimensions: 1 },
      ],
    };
    assert.deepEqual(resultTable(tags), {
      key: 'tags',
      columns: ['name', 'type', 'dimensions'],
      rows: [
        ['Line.State', 'DINT', '0'],
        ['Temps', 'REAL', '1'],
      ],
    });
    assert.deepEqual(resultTable([{ a: 1 }, { b: true }])?.rows, [
      ['1', ''],
      ['', 'true'],
    ]);
  });

  it('other results are not tables', () => {
    for (const other of [
      { trigger: 'TA', elapsed_ms: 25, fields: { total: 0 } },
      { tags: [] },
      { tags: [{ name: 'x', nested: { a: 1 } }] },
      { a: [{ x: 1 }], b: [{ x: 2 }] },
      [1, 2, 3],
      'done',
      42,
    ])
      assert.equal(resultTable(other), null, JSON.stringify(other));
  });
});
