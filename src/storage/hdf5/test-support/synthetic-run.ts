import type {
  EventDescriptor,
  RunDocument,
  RunEvent,
  RunStart,
  RunStop,
  StreamDatum,
  StreamResource,
} from '../../../core/documents.ts';
import type { Frame } from '../../../core/frame.ts';
import { hdf5FrameResource } from '../run-file-layout.ts';

/** Documents of a small, fully known run for the writer tests (values are functions of the row). */

export const RUN_UID = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
export const START_TIME = Date.UTC(2026, 2, 14, 9, 26, 53) / 1000 + 0.25;

export const motorPosition = (i: number) => i * 0.5;
export const meterPower = (i: number) => Math.sin(i) * 1e-3;

export function startDoc(overrides: Partial<RunStart> = {}): RunStart {
  return {
    uid: RUN_UID,
    time: START_TIME,
    scan_id: 7,
    plan_name: 'scan',
    plan_args: { motor: 'motor', start: 0, stop: 4.5, num: 10 },
    metadata: { sample: 'Si wafer', operator: 'ada' },
    config: { storage: { default_backend: 'hdf5' } },
    instruments: {
      motor: { type: 'ESP300', velocity: 2.5, axes: 3, homed: true, limits: { low: 0, high: 10 } },
      meter: { type: 'Newport1830C', wavelength_nm: 800 },
    },
    versions: { benchtop: '0.1.0' },
    hints: { dimensions: [[['motor_position'], 'primary']] },
    num_points: 10,
    ...overrides,
  };
}

export const PRIMARY_UID = 'desc-primary-0001';

export function primaryDescriptor(): EventDescriptor {
  return {
    uid: PRIMARY_UID,
    run_start: RUN_UID,
    time: START_TIME + 0.1,
    name: 'primary',
    data_keys: {
      motor_position: { dtype: 'number', shape: [], source: 'motor.position', units: 'mm', precision: 3 },
      meter_power: { dtype: 'number', shape: [], source: 'meter.power', units: 'W' },
    },
    configuration: {},
    object_keys: { motor: ['motor_position'], meter: ['meter_power'] },
    hints: { meter: { fields: ['meter_power'] } },
  };
}

export function primaryEvent(i: number): RunEvent {
  const t = START_TIME + 1 + i;
  return {
    uid: `event-${i}`,
    descriptor: PRIMARY_UID,
    seq_num: i + 1,
    time: t,
    data: { motor_position: motorPosition(i), meter_power: meterPower(i) },
    timestamps: { motor_position: t - 0.01, meter_power: t - 0.02 },
  };
}

export function stopDoc(numEvents: Record<string, number> = { primary: 10 }): RunStop {
  return {
    uid: 'stop-0001',
    run_start: RUN_UID,
    time: START_TIME + 60.5,
    exit_status: 'success',
    reason: '',
    num_events: numEvents,
  };
}

/** start, primary descriptor, `n` events, stop. */
export function scalarRun(n = 10): RunDocument[] {
  return [
    { name: 'start', doc: startDoc() },
    { name: 'descriptor', doc: primaryDescriptor() },
    ...Array.from({ length: n }, (_, i) => ({ name: 'event' as const, doc: primaryEvent(i) })),
    { name: 'stop', doc: stopDoc({ primary: n }) },
  ];
}

export const CAMERA_UID = 'desc-camera-0001';
export const FRAME_HEIGHT = 48;
export const FRAME_WIDTH = 64;

export function cameraDescriptor(): EventDescriptor {
  return {
    uid: CAMERA_UID,
    run_start: RUN_UID,
    time: START_TIME + 0.2,
    name: 'camera',
    data_keys: {
      cam_image: {
        dtype: 'array',
        shape: [FRAME_HEIGHT, FRAME_WIDTH],
        source: 'cam.image',
        dtype_numpy: '<u2',
        external: 'STREAM:',
      },
    },
    configuration: {},
    object_keys: { cam: ['cam_image'] },
  };
}

export function cameraResource(): StreamResource {
  return {
    uid: 'resource-cam-0001',
    run_start: RUN_UID,
    ...hdf5FrameResource(startDoc(), 'camera', 'cam_image', [FRAME_HEIGHT, FRAME_WIDTH]),
  };
}

export function cameraDatum(start: number, stop: number): StreamDatum {
  return {
    uid: `resource-cam-0001/${start}`,
    stream_resource: 'resource-cam-0001',
    descriptor: CAMERA_UID,
    indices: { start, stop },
    seq_nums: { start: start + 1, stop: stop + 1 },
  };
}

/** Pixel (y, x) of frame n: distinct per frame and per pixel, wrapping at 16 bits. */
export const pixelValue = (n: number, y: number, x: number) => (n * 7919 + y * FRAME_WIDTH + x) & 0xffff;

export function syntheticFrame(n: number): Frame {
  const pixels = new Uint16Array(FRAME_HEIGHT * FRAME_WIDTH);
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    for (let x = 0; x < FRAME_WIDTH; x++) pixels[y * FRAME_WIDTH + x] = pixelValue(n, y, x);
  }
  return {
    pixels,
    width: FRAME_WIDTH,
    height: FRAME_HEIGHT,
    frameNumber: 100 + n,
    timestamp: (START_TIME + 2 + n * 0.025) * 1000,
    bitDepth: 16,
    exposureMs: 20,
  };
}
