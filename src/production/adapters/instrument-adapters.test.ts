import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../core/bus.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import type { Reading } from '../../core/reading.ts';
import { InstrumentLinePlc } from './instrument-line-plc.ts';
import { InstrumentStationVision } from './instrument-station-vision.ts';

/** A directory of one instrument that implements only what the adapters use. */
function directoryOf(id: string, instrument: Partial<Instrument>): InstrumentDirectory {
  return {
    list: () => [instrument as Instrument],
    get: (wanted) => {
      if (wanted !== id) throw new Error(`no ${wanted}`);
      return instrument as Instrument;
    },
  };
}

const reading = (signal: string, value: Reading['value'], quality: Reading['quality'] = 'good'): Reading => ({
  instrument: 'line_plc',
  signal,
  value,
  timestamp: 1000,
  quality,
});

/** An InstrumentLinePlc that only sees the readings the test publishes on its bus. */
function plcOnBus() {
  const bus = new EventBus<BenchtopEvents>();
  const plc = new InstrumentLinePlc({
    instrumentId: 'line_plc',
    directory: directoryOf('line_plc', {}),
    bus,
  });
  return { plc, publish: (r: Reading) => bus.emit('instrument.reading', r) };
}

describe('InstrumentLinePlc', () => {
  it("a part's fields come from the scan that raised its edge, once all of that scan is published", async () => {
    const bus = new EventBus<BenchtopEvents>();
    const latest = new Map<string, Reading>();
    bus.on('instrument.reading', (r) => latest.set(r.signal, r));
    const plc = new InstrumentLinePlc({
      instrumentId: 'line_plc',
      directory: directoryOf('line_plc', { lastReading: (s: string) => latest.get(s) }),
      bus,
    });
    const seen: (Record<string, unknown> | undefined)[] = [];
    plc.onRisingEdge('Part.Completed', () => {
      void plc.scanned(['Part.Id', 'Part.Sku']).then((v) => seen.push(v));
    });
    const publish = (r: Reading) => bus.emit('instrument.reading', r);
    publish(reading('Part.Sku', 2));
    // one scan: the edge is published before the part's id, as the tag order has it
    publish(reading('Part.Completed', true));
    publish(reading('Part.Id', 41));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [{ 'Part.Id': 41, 'Part.Sku': 2 }]);
    publish(reading('Part.Completed', false));
    publish(reading('Part.Sku', 2, 'invalid'));
    publish(reading('Part.Completed', true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(seen[1], undefined, 'a tag without a good scanned value: read instead');
  });

  it('rising edges from the published readings; an invalid reading makes the value unknown', () => {
    const { plc, publish } = plcOnBus();
    let edges = 0;
    const off = plc.onRisingEdge('Part.Completed', () => edges++);
    publish(reading('Part.Completed', false));
    publish(reading('Part.Completed', true));
    assert.equal(edges, 1);
    publish(reading('Part.Completed', true));
    publish({ ...reading('Part.Completed', true), instrument: 'other_plc' });
    publish(reading('Part.Id', 7));
    assert.equal(edges, 1, 'no change, another instrument, another tag');
    publish(reading('Part.Completed', true, 'invalid'));
    assert.equal(edges, 1, 'an invalid reading is no edge');
    publish(reading('Part.Completed', true));
    assert.equal(edges, 2, 'unknown → true after the link came back (the counter tells a repeat)');
    publish(reading('Part.Completed', 0));
    publish(reading('Part.Completed', 1));
    assert.equal(edges, 3, 'an integer flag');
    off();
    publish(reading('Part.Completed', 0));
    publish(reading('Part.Completed', 1));
    assert.equal(edges, 3);
  });

  it("every reading of a tag, repeats included; an invalid one as undefined (the counter's link lost)", () => {
    const { plc, publish } = plcOnBus();
    const values: unknown[] = [];
    const off = plc.onReading('Part.Counter', (v) => values.push(v));
    publish(reading('Part.Counter', 10));
    publish(reading('Part.Counter', 10));
    publish(reading('Part.Id', 7));
    publish({ ...reading('Part.Counter', 11), instrument: 'other_plc' });
    publish(reading('Part.Counter', 10, 'invalid'));
    publish(reading('Part.Counter', 12));
    off();
    publish(reading('Part.Counter', 13));
    assert.deepEqual(values, [10, 10, undefined, 12]);
  });

  it('changes skip invalid readings and repeats; reads and writes go through the Instrument', async () => {
    const bus = new EventBus<BenchtopEvents>();
    const written: [string, unknown][] = [];
    const plc = new InstrumentLinePlc({
      instrumentId: 'line_plc',
      bus,
      directory: directoryOf('line_plc', {
        read: async (signal: string) => reading(signal, signal === 'Part.Id' ? 42 : 3),
        write: async (signal: string, value: unknown) => {
          written.push([signal, value]);
        },
      }),
    });
    const changes: unknown[] = [];
    plc.onChange('Line.State', (v) => changes.push(v));
    for (const r of [reading('Line.State', 1), reading('Line.State', 1), reading('Line.State', 1, 'invalid')])
      bus.emit('instrument.reading', r);
    bus.emit('instrument.reading', reading('Line.State', 3));
    assert.deepEqual(changes, [1, 3]);
    assert.deepEqual(await plc.read(['Part.Id', 'Part.Sku']), { 'Part.Id': 42, 'Part.Sku': 3 });
    await plc.write('Quality.Result', 2);
    assert.deepEqual(written, [['Quality.Result', 2]]);
  });
});

describe('InstrumentStationVision', () => {
  const outputs = [
    { name: 'total', kind: 'judgement' },
    { name: 'scratch_score', kind: 'score' },
    { name: 'defect_x', kind: 'x' },
  ];

  it("calls the camera's trigger and maps the fields by output kind (scores 0-100 → 0..1)", async () => {
    const calls: string[] = [];
    const vision = new InstrumentStationVision({
      instrumentId: 'vision',
      outputs,
      directory: directoryOf('vision', {
        call: async (action: string) => {
          calls.push(action);
          return {
            trigger: 'TA',
            result: '1,62.5,840',
            fields: { total: 1, scratch_score: 62.5, defect_x: 840 },
          };
        },
      }),
    });
    const result = await vision.inspect(new AbortController().signal);
    assert.deepEqual(calls, ['trigger']);
    assert.deepEqual(result.fields, { total: 1, scratch_score: 0.625, defect_x: 840 });
  });

  it('an aborted inspection rejects at once with the reason; a result without fields is a protocol error', async () => {
    const never = new InstrumentStationVision({
      instrumentId: 'vision',
      outputs,
      directory: directoryOf('vision', { call: () => new Promise(() => {}) }),
    });
    const controller = new AbortController();
    const pending = never.inspect(controller.signal);
    controller.abort(new Error('deadline'));
    await assert.rejects(pending, /deadline/);
    const bad = new InstrumentStationVision({
      instrumentId: 'vision',
      outputs,
      directory: directoryOf('vision', { call: async () => ({ result: '' }) }),
    });
    await assert.rejects(bad.inspect(new AbortController().signal), { code: 'PROTOCOL_ERROR' });
  });
});
