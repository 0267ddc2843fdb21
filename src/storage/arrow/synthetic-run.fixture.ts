import type { EventDescriptor, RunDocument, RunEvent, RunStart, RunStop } from '../../core/documents.ts';
import type { Frame } from '../../core/frame.ts';

/** A run's documents made in memory for the storage tests (no engine, no instruments). */
export interface SyntheticRun {
  start: RunStart;
  descriptor: EventDescriptor;
  events: RunEvent[];
  stop: RunStop;
  /** start, descriptor, events, stop, in order. */
  documents: RunDocument[];
}

export const RUN_UID = '3f9c2a1e-7b4d-4c8e-9a1f-0123456789ab';
/** 2026-03-04T05:06:07.250Z */
export const RUN_TIME = Date.UTC(2026, 2, 4, 5, 6, 7, 250) / 1000;

/** Every 100th event has no `mode` reading, so null handling is exercised. */
export function eventData(i: number): Record<string, unknown> {
  const data: Record<string, unknown> = {
    meter_power: 0.001 * i + 0.5,
    counter: i * 3,
    shutter_open: i % 2 === 0,
  };
  if (i % 100 !== 99) data.mode = i % 3 === 0 ? 'fast, "quoted"' : `slow\n${i}`;
  return data;
}

export function syntheticRun(eventCount: number): SyntheticRun {
  const start: RunStart = {
    uid: RUN_UID,
    time: RUN_TIME,
    plan_name: 'count',
    plan_args: { num: eventCount },
    metadata: { sample: 'Si-wafer-7', operator: 'ada' },
    config: {},
    instruments: {},
    versions: { benchtop: '0.1.0' },
  };
  const descriptor: EventDescriptor = {
    uid: 'desc-primary-0001',
    run_start: RUN_UID,
    time: RUN_TIME + 0.01,
    name: 'primary',
    data_keys: {
      meter_power: { dtype: 'number', shape: [], source: 'meter.power', units: 'W', precision: 4 },
      counter: { dtype: 'integer', shape: [], source: 'daq.counter', units: 'counts' },
      shutter_open: { dtype: 'boolean', shape: [], source: 'laser.shutter' },
      mode: { dtype: 'string', shape: [], source: 'laser.mode' },
    },
    configuration: {},
    object_keys: { meter: ['meter_power'], daq: ['counter'], laser: ['shutter_open', 'mode'] },
  };
  const events: RunEvent[] = [];
  for (let i = 0; i < eventCount; i++) {
    const time = RUN_TIME + 1 + i * 0.001;
    const data = eventData(i);
    events.push({
      uid: `event-${i}`,
      descriptor: descriptor.uid,
      seq_num: i + 1,
      time,
      data,
      timestamps: Object.fromEntries(Object.keys(data).map((k) => [k, time])),
    });
  }
  const stop: RunStop = {
    uid: 'stop-0001',
    run_start: RUN_UID,
    time: RUN_TIME + 2 + eventCount * 0.001,
    exit_status: 'success',
    reason: '',
    num_events: { primary: eventCount },
  };
  const documents: RunDocument[] = [
    { name: 'start', doc: start },
    { name: 'descriptor', doc: descriptor },
    ...events.map((doc): RunDocument => ({ name: 'event', doc })),
    { name: 'stop', doc: stop },
  ];
  return { start, descriptor, events, stop, documents };
}

/** A camera stream's descriptor: one external frame key of the given shape. */
export function cameraDescriptor(height: number, width: number): EventDescriptor {
  return {
    uid: 'desc-camera-0001',
    run_start: RUN_UID,
    time: RUN_TIME + 0.02,
    name: 'camera',
    data_keys: {
      image: {
        dtype: 'array',
        shape: [height, width],
        source: 'cam.image',
        units: 'counts',
        dtype_numpy: '<u2',
        external: 'STREAM:',
      },
      exposure: { dtype: 'number', shape: [], source: 'cam.exposure', units: 'ms' },
    },
    configuration: {},
    object_keys: { cam: ['image', 'exposure'] },
  };
}

/** A frame whose pixel values encode its number and position, so a mix-up shows. */
export function syntheticFrame(frameNumber: number, height: number, width: number): Frame {
  const pixels = new Uint16Array(height * width);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (frameNumber * 1000 + i) & 0xffff;
  return {
    pixels,
    width,
    height,
    frameNumber,
    timestamp: RUN_TIME * 1000 + 1000 + frameNumber * 10.5,
    bitDepth: 12,
    exposureMs: 10,
  };
}
