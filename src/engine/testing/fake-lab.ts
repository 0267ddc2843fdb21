import { Type } from '@sinclair/typebox';
import { EventBus } from '../../core/bus.ts';
import { ManualClock, sleep } from '../../core/clock.ts';
import { Completion, type InstrumentDriver, type SignalValue } from '../../core/device.ts';
import type { RunDocument } from '../../core/documents.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import type { Frame } from '../../core/frame.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { InstrumentDirectory } from '../../core/instrument-directory.ts';
import type { Supervisor } from '../../core/supervisor.ts';
import { spawnInstrument, testSupervisor } from '../../core/testing/instrument-harness.ts';
import type { FrameRequest, FrameSource } from '../frame-source.ts';
import { RunEngine, type RunEngineDeps } from '../run-engine.ts';
import type { EngineRunWriter, RunRecorder, WriterReport } from '../run-storage.ts';

/**
 * A small in-memory lab for engine tests: real actors and the real Instrument facade around
 * fake drivers, driven by a ManualClock. The stage's moves can be held mid-way, the meter can
 * lose its link, the camera streams numbered frames.
 */

export interface StageControl {
  driver: InstrumentDriver;
  wire: string[];
  /** A move to this position does not finish until `release()` (or a stop). */
  holdAt: number | null;
  release(): void;
  /** Resolves when a move to `position` has been sent. */
  moveSent(position: number): Promise<void>;
  position(axis: string): number;
}

function fakeStage(): StageControl {
  const position = new Map<string, number>([
    ['axis1', 0],
    ['axis2', 0],
  ]);
  const moving = new Map<string, boolean>();
  const waiters: { position: number; resolve: () => void }[] = [];
  let released = false;
  const control: StageControl = {
    driver: undefined as never,
    wire: [],
    holdAt: null,
    release: () => {
      released = true;
    },
    moveSent: (p) => new Promise((resolve) => waiters.push({ position: p, resolve })),
    position: (axis) => position.get(axis)!,
  };
  const axis = (name: string) => ({
    dtype: 'number' as const,
    unit: 'mm',
    limits: { min: -5, max: 5 },
    description: `${name} position`,
    completes: true,
    read: async () => position.get(name)!,
    write: async (value: SignalValue) => {
      const target = value as number;
      control.wire.push(`${name} PA${target}`);
      moving.set(name, true);
      for (const w of waiters.filter((w) => w.position === target)) w.resolve();
      return new Completion({
        what: `${name} move`,
        pollMs: 10,
        timeoutMs: 60_000,
        isDone: async () => {
          if (!moving.get(name)) return true;
          if (control.holdAt === target && !released) return false;
          position.set(name, target);
          moving.set(name, false);
          return true;
        },
      });
    },
  });
  const stop = (name: string) => ({
    description: `stop ${name}`,
    args: Type.Object({}),
    run: async () => {
      control.wire.push(`${name} ST`);
      moving.set(name, false);
    },
  });
  control.driver = {
    type: 'FakeStage',
    signals: { 'axis1.position': axis('axis1'), 'axis2.position': axis('axis2') },
    actions: { 'axis1.stop': stop('axis1'), 'axis2.stop': stop('axis2') },
    connect: async () => ({ model: 'FakeStage' }),
    disconnect: async () => {},
  };
  return control;
}

export interface MeterControl {
  driver: InstrumentDriver;
  reads: number;
  /** The n-th read (1-based) loses the link. */
  failOnRead: number | null;
  /** Each read takes this long on the lab clock. */
  readMs: number;
  /** The cable is out: reads lose the link and reconnects fail until it is put back. */
  unplugged: boolean;
}

function fakeMeter(stagePosition: () => number): MeterControl {
  const control: MeterControl = {
    driver: undefined as never,
    reads: 0,
    failOnRead: null,
    readMs: 0,
    unplugged: false,
  };
  control.driver = {
    type: 'FakeMeter',
    signals: {
      power: {
        dtype: 'number',
        unit: 'W',
        precision: 6,
        description: 'optical power',
        read: async (ctx) => {
          control.reads++;
          if (control.failOnRead === control.reads || control.unplugged)
            throw new BenchtopError('LINK_LOST', 'cable pulled');
          if (control.readMs > 0) await sleep(ctx.clock, control.readMs);
          // Power follows the stage, so an event's value shows where the stage was.
          return 1 + stagePosition();
        },
      },
      wavelength: {
        dtype: 'number',
        unit: 'nm',
        limits: { min: 400, max: 1100 },
        description: 'calibration wavelength',
        read: async () => 800,
        write: async () => undefined,
      },
      filter: { dtype: 'enum', choices: ['slow', 'fast'], description: 'filter', read: async () => 'slow' },
    },
    actions: {},
    connect: async () => {
      if (control.unplugged) throw new BenchtopError('LINK_LOST', 'no reply: cable pulled');
      return { model: 'FakeMeter' };
    },
    disconnect: async () => {},
  };
  return control;
}

function fakeLaser(): InstrumentDriver {
  let emission = true;
  return {
    type: 'FakeLaser',
    signals: {
      emission: {
        dtype: 'boolean',
        description: 'emission on',
        monitored: true,
        read: async () => emission,
        write: async (v) => {
          emission = v as boolean;
          return undefined;
        },
      },
      shutter_cmd: {
        dtype: 'boolean',
        description: 'write-only shutter command',
        write: async () => undefined,
      },
    },
    actions: {},
    connect: async () => ({ model: 'FakeLaser' }),
    disconnect: async () => {},
  };
}

export interface CameraControl {
  driver: InstrumentDriver & { frameSource: FrameSource };
  requests: Omit<FrameRequest, 'signal'>[];
  /** Frames streamed so far (numbered from 1). */
  streamed: number;
  /** Before each frame the camera waits this long on the lab clock (0: frames arrive at once). */
  frameMs: number;
}

function fakeCamera(clock: ManualClock): CameraControl {
  const control: CameraControl = { driver: undefined as never, requests: [], streamed: 0, frameMs: 0 };
  const frameSource: FrameSource = {
    async *acquire(request) {
      const { signal, ...rest } = request;
      control.requests.push(rest);
      const started = clock.monotonic();
      for (let n = 0; request.count === undefined || n < request.count; n++) {
        if (control.frameMs > 0) await sleep(clock, control.frameMs, signal).catch(() => undefined);
        if (signal.aborted) return;
        if (request.durationMs !== undefined && clock.monotonic() - started >= request.durationMs) return;
        const frameNumber = ++control.streamed;
        const pixels = new Uint16Array(4 * 3).fill(frameNumber);
        const frame: Frame = {
          pixels,
          width: 4,
          height: 3,
          frameNumber,
          timestamp: clock.now(),
          bitDepth: 16,
          exposureMs: request.exposureMs ?? 10,
        };
        yield frame;
      }
    },
  };
  control.driver = {
    type: 'FakeCamera',
    signals: {
      exposure_ms: { dtype: 'number', unit: 'ms', description: 'exposure', read: async () => 10 },
    },
    actions: {},
    capabilities: [{ kind: 'camera', signals: { exposure: 'exposure_ms' }, actions: {} }],
    connect: async () => ({ model: 'FakeCamera' }),
    disconnect: async () => {},
    frameSource,
  };
  return control;
}

/** Keeps every document and frame; `flush` and `close` can be made to fail. */
export class MemoryWriter implements EngineRunWriter {
  readonly format = 'memory';
  readonly documents: RunDocument[] = [];
  readonly frames: { dataKey: string; frame: Frame }[] = [];
  readonly report: WriterReport;
  flushes = 0;
  closed = false;
  dropped = 0;
  failFlush: Error | null = null;

  constructor(report: WriterReport) {
    this.report = report;
  }

  document(doc: RunDocument): void {
    if (this.closed) throw new Error('document after close');
    this.documents.push(doc);
  }

  frame(dataKey: string, frame: Frame): void {
    this.frames.push({ dataKey, frame });
  }

  async flush(): Promise<void> {
    this.flushes++;
    if (this.failFlush) throw this.failFlush;
  }

  async close(): Promise<{ files: string[] }> {
    this.closed = true;
    return { files: ['run.mem'] };
  }

  frameResource(stream: string, dataKey: string, shape: readonly number[]) {
    return { mimetype: 'application/x-memory', uri: 'memory://run', parameters: { stream, dataKey, shape } };
  }

  stats() {
    return {
      queued: 0,
      capacity: 10,
      dropped: this.dropped,
      bytesWritten: 0,
      framesWritten: this.frames.length,
      eventsWritten: 0,
      lastFlushAt: null,
      error: null,
    };
  }
}

export class MemoryRecorder implements RunRecorder {
  readonly calls: string[] = [];
  readonly documents: RunDocument[] = [];
  stopFiles: string[] = [];

  recordStart(start: { uid: string }, format: string): void {
    this.calls.push(`start ${start.uid} ${format}`);
  }

  document(doc: RunDocument): void {
    this.documents.push(doc);
  }

  recordStop(stop: { run_start: string; exit_status: string }, files: string[]): void {
    this.calls.push(`stop ${stop.run_start} ${stop.exit_status}`);
    this.stopFiles = files;
  }
}

export interface FakeLab {
  clock: ManualClock;
  bus: EventBus<BenchtopEvents>;
  supervisor: Supervisor;
  instruments: InstrumentDirectory & { byId: Map<string, Instrument> };
  stage: StageControl;
  meter: MeterControl;
  camera: CameraControl;
  writers: MemoryWriter[];
  writerFactory: (start: unknown, report: WriterReport) => MemoryWriter;
  recorder: MemoryRecorder;
  stop(): Promise<void>;
}

export async function fakeLab(): Promise<FakeLab> {
  const clock = new ManualClock();
  const bus = new EventBus<BenchtopEvents>();
  const supervisor = testSupervisor({ bus, clock });
  const byId = new Map<string, Instrument>();
  const stage = fakeStage();
  const meter = fakeMeter(() => stage.position('axis1'));
  const camera = fakeCamera(clock);
  const drivers: [string, InstrumentDriver][] = [
    ['stage', stage.driver],
    ['meter', meter.driver],
    ['laser', fakeLaser()],
    ['camera', camera.driver],
  ];
  for (const [id, driver] of drivers) {
    // The ask timeout runs on the lab clock, which tests advance in large steps while a command waits.
    const { instrument } = await spawnInstrument({
      id,
      driver,
      bus,
      clock,
      supervisor,
      askTimeoutMs: 60_000,
    });
    byId.set(id, instrument);
  }
  const writers: MemoryWriter[] = [];
  return {
    clock,
    bus,
    supervisor,
    instruments: {
      byId,
      get: (id) => {
        const instrument = byId.get(id);
        if (!instrument)
          throw new BenchtopError('INSTRUMENT_NOT_FOUND', `no instrument "${id}"`, { instrument: id });
        return instrument;
      },
      list: () => [...byId.values()],
    },
    stage,
    meter,
    camera,
    writers,
    writerFactory: (_start, report) => {
      const writer = new MemoryWriter(report);
      writers.push(writer);
      return writer;
    },
    recorder: new MemoryRecorder(),
    stop: async () => {
      await supervisor.stopAll();
    },
  };
}

/** A RunEngine over the lab's instruments, bus and clock, writing to its memory writers unless `deps` says otherwise. */
export function labEngine(lab: FakeLab, deps: Partial<RunEngineDeps> = {}): RunEngine {
  return new RunEngine({
    instruments: lab.instruments,
    bus: lab.bus,
    clock: lab.clock,
    writerFactory: lab.writerFactory,
    ...deps,
  });
}

/** Advances the lab clock in steps until `done` resolves (bounded, so a hang fails instead of spinning). */
export async function runClockUntil<T>(
  clock: ManualClock,
  done: Promise<T>,
  stepMs = 10,
  maxSteps = 10_000,
): Promise<T> {
  let settled = false;
  const result = done.finally(() => {
    settled = true;
  });
  for (let i = 0; i < maxSteps && !settled; i++) await clock.advance(stepMs);
  if (!settled) throw new Error(`not done after ${maxSteps} clock steps of ${stepMs} ms`);
  return result;
}
