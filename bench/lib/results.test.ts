import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeResult, type ResultsFile, resultsFileProblems, targetMet } from './results.ts';
import { spread } from './stats.ts';
import { resultsTable } from './table.ts';

describe('makeResult', () => {
  it('reports medians, ours ÷ anchor ratios, spreads and a met target', () => {
    const r = makeResult({
      benchmark: 'scpi',
      metric: 'query round trips',
      unit: 'queries/s',
      ours: spread([9000, 10000, 11000]),
      anchors: { 'pyvisa-py': spread([4000, 5000, 6000]), 'node-socket': 12000 },
      targets: [
        { kind: 'ratio-at-least', anchor: 'pyvisa-py', ratio: 1.5 },
        { kind: 'ratio-at-least', anchor: 'node-socket', ratio: 0.8 },
      ],
    });
    assert.equal(r.ours, 10000);
    assert.deepEqual(r.anchors, { 'pyvisa-py': 5000, 'node-socket': 12000 });
    assert.deepEqual(r.ratios, { 'pyvisa-py': 2, 'node-socket': 0.833 });
    assert.equal(r.met, true);
    assert.equal(r.target, '≥ 1.5× pyvisa-py and ≥ 0.8× node-socket');
    assert.deepEqual(r.spread?.ours, { n: 3, median: 10000, min: 9000, max: 11000, p25: 9500, p75: 10500 });
    assert.equal(r.spread?.anchors?.['pyvisa-py']?.max, 6000);
    assert.equal(r.spread?.anchors?.['node-socket'], undefined);
  });

  it('misses when any target misses, even if another cannot be judged', () => {
    const r = makeResult({
      benchmark: 'camera',
      metric: 'MB/s',
      unit: 'MB/s',
      ours: 300,
      anchors: { h5py: { missing: 'h5py not installed' }, 'raw-disk': 1000 },
      targets: [
        { kind: 'ratio-at-least', anchor: 'h5py', ratio: 1 },
        { kind: 'ratio-at-least', anchor: 'raw-disk', ratio: 0.8 },
      ],
    });
    assert.equal(r.met, false);
    assert.equal(r.anchors.h5py, null);
    assert.equal(r.ratios.h5py, null);
    assert.deepEqual(r.notes, ['anchor h5py missing: h5py not installed']);
  });

  it('cannot judge a target whose anchor is missing, and still reports our figure', () => {
    const r = makeResult({
      benchmark: 'scpi',
      metric: 'query round trips',
      unit: 'queries/s',
      ours: 10000,
      anchors: { 'pyvisa-py': { missing: 'not installed' } },
      targets: [{ kind: 'ratio-at-least', anchor: 'pyvisa-py', ratio: 1.5 }],
    });
    assert.equal(r.ours, 10000);
    assert.equal(r.met, null);
  });

  it('keeps a whole-run figure apart from the spread of its windows', () => {
    const r = makeResult({
      benchmark: 'fanout',
      metric: 'p99',
      unit: 'ms',
      ours: { value: 31, spread: spread([20, 25, 40]) },
      targets: [{ kind: 'below', value: 50 }],
    });
    assert.equal(r.ours, 31);
    assert.equal(r.spread?.ours?.median, 25);
    assert.equal(r.met, true);
  });

  it('leaves a target unjudged when the measurement did not meet its conditions', () => {
    const r = makeResult({
      benchmark: 'fanout',
      metric: 'p99',
      unit: 'ms',
      ours: 20,
      targets: [{ kind: 'below', value: 50 }],
      unjudged: 'clients got 6.5 Hz, not 10 Hz',
    });
    assert.equal(r.met, null);
    assert.equal(r.target, '< 50 ms');
    assert.deepEqual(r.notes, ['target not judged: clients got 6.5 Hz, not 10 Hz']);
  });

  it('reports a figure that could not be measured as null with the reason', () => {
    const r = makeResult({
      benchmark: 'ingest',
      metric: 'PostgreSQL',
      unit: 'samples/s',
      ours: { missing: 'PostgreSQL not reachable' },
      targets: [{ kind: 'at-least', value: 100_000 }],
    });
    assert.equal(r.ours, null);
    assert.equal(r.met, null);
    assert.deepEqual(r.notes, ['ours not measured: PostgreSQL not reachable']);
  });
});

describe('targetMet', () => {
  it('distinguishes below (strict) from at-most', () => {
    assert.equal(targetMet({ kind: 'below', value: 20 }, 20, {}), false);
    assert.equal(targetMet({ kind: 'at-most', value: 0 }, 0, {}), true);
    assert.equal(targetMet({ kind: 'at-least', value: 500_000 }, 499_999, {}), false);
    assert.equal(targetMet({ kind: 'ratio-at-least', anchor: 'a', ratio: 1 }, 5, { a: 0 }), null);
  });

  it('judges a duration against a multiple of an anchor (ratio-at-most)', () => {
    const target = { kind: 'ratio-at-most', anchor: 'node', ratio: 3 } as const;
    assert.equal(targetMet(target, 60, { node: 20 }), true);
    assert.equal(targetMet(target, 61, { node: 20 }), false);
    assert.equal(targetMet(target, 61, { node: null }), null);
    const r = makeResult({
      benchmark: 'cli',
      metric: 'm',
      unit: 'ms',
      ours: 50,
      anchors: { node: 20 },
      targets: [target],
    });
    assert.equal(r.target, '≤ 3× node');
    assert.deepEqual(r.ratios, { node: 2.5 });
    assert.equal(r.met, true);
  });
});

describe('results file', () => {
  const file: ResultsFile = {
    machine: { cpu_model: 'AMD EPYC', cores: 2, memory_bytes: 1, kernel: '6', disk: {} },
    versions: { node: '24.21.0', benchtop: '0.1.0', pyvisa: null },
    results: [
      makeResult({ benchmark: 'scpi', metric: 'q', unit: 'queries/s', ours: 1, anchors: { a: 2 } }),
      makeResult({ benchmark: 'ingest', metric: 'pg', unit: 'samples/s', ours: { missing: 'down' } }),
    ],
  };

  it('made by makeResult has the documented shape', () => {
    assert.deepEqual(resultsFileProblems(JSON.parse(JSON.stringify(file))), []);
    assert.deepEqual(Object.keys(file), ['machine', 'versions', 'results']);
    assert.deepEqual(Object.keys(file.results[0]!).slice(0, 8), [
      'benchmark',
      'metric',
      'unit',
      'ours',
      'anchors',
      'ratios',
      'target',
      'met',
    ]);
  });

  it('with a row missing a field or a figure of the wrong type is refused', () => {
    const { met: _met, ...withoutMet } = file.results[0]!;
    assert.notDeepEqual(resultsFileProblems({ ...file, results: [withoutMet] }), []);
    assert.notDeepEqual(resultsFileProblems({ ...file, results: [{ ...file.results[0]!, ours: '1' }] }), []);
    assert.notDeepEqual(resultsFileProblems({ machine: {}, results: [] }), []);
  });

  it('prints as a Markdown table with one row per result', () => {
    const lines = resultsTable(file.results).split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[2]!, /^\| scpi \| q \| 1 queries\/s \| a: 2 \| 0\.5× a \|/);
    assert.match(lines[3]!, /not measured/);
  });
});
