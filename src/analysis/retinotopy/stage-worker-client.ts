import { Worker } from 'node:worker_threads';
import { BenchtopError } from '../../core/errors.ts';
import type { AnalysisParameters } from './analysis-parameters.ts';
import { DIRECTIONS, type Direction } from './direction-recording.ts';
import type { FourierMaps, ReadOutOptions } from './fourier-accumulator.ts';
import type { Grid } from './morphology/image.ts';
import type { OnlineFourier } from './online-fourier.ts';
import { positionAndSignInput, type RetinotopyMapOptions, type RetinotopyMaps } from './retinotopy-maps.ts';
import type { AreaSegmentation } from './segmentation/area-segmentation.ts';
import { errorOfStage } from './stage-errors.ts';
import type { StageReply, StageRequest } from './stage-worker-protocol.ts';
import type { SweepTiming } from './sweep-timing.ts';

/** How an error names the request the worker was doing. */
const REQUEST_NAMES: Record<StageRequest['stage'], string> = {
  readOut: 'a read-out',
  maps: 'a position-map',
  segmentation: 'a segmentation',
};

type Pending = {
  stage: StageRequest['stage'];
  resolve: (reply: StageReply) => void;
  reject: (e: Error) => void;
};

/**
 * Stages 2–4 (position maps, visual field sign, areas), and stage 1's read-out of the sums the
 * Fourier pool accumulated, in one long-lived worker thread, started
 * by the first request: a segmentation takes about half a second, which on the server's main
 * thread would hold up every request and the stream meanwhile. The results are those of the
 * same functions on the calling thread, bit for bit. Requests queue in the worker in order.
 * A worker that dies fails the requests it held and is started again for the next one. It does
 * not keep the process alive while idle.
 */
export class StageWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly spawn: () => Worker;
  private nextId = 1;
  private closed = false;

  /** `spawn`: how the thread is made (tests swap in one that dies). */
  constructor(options: { spawn?: () => Worker } = {}) {
    this.spawn = options.spawn ?? (() => new Worker(new URL('./stage-worker.ts', import.meta.url)));
  }

  /** Stage 1's read-out of one direction (as OnlineFourier.maps): its sums so far, copied. */
  async readOut(fourier: OnlineFourier, options: ReadOutOptions = {}): Promise<FourierMaps> {
    const snapshot = await fourier.snapshot();
    const reply = await this.request({ ...snapshot, id: 0, stage: 'readOut', options }, [snapshot.sums]);
    if (!('fourier' in reply)) {
      throw new BenchtopError('INTERNAL', 'the stage worker answered a read-out with something else');
    }
    return reply.fourier;
  }

  /** Stages 2 and 3 (as mapsFromFourier). */
  async maps(
    fourier: Record<Direction, FourierMaps>,
    timings: Record<Direction, { timing: SweepTiming }>,
    options: Pick<RetinotopyMapOptions, 'cameraFlip' | 'coherenceThreshold'> = {},
  ): Promise<RetinotopyMaps> {
    const input = positionAndSignInput(fourier, timings, options);
    const phase = {} as Record<Direction, Float64Array>;
    const coherence = {} as Record<Direction, Float64Array>;
    for (const d of DIRECTIONS) {
      phase[d] = input.phase[d].slice();
      coherence[d] = input.coherence[d].slice();
    }
    const reply = await this.request({ ...input, id: 0, stage: 'maps', phase, coherence }, [
      ...Object.values(phase),
      ...Object.values(coherence),
    ]);
    if (!('maps' in reply))
      throw new BenchtopError('INTERNAL', 'the stage worker answered maps with something else');
    return { width: input.width, height: input.height, fourier, ...reply.maps };
  }

  /** Stage 4 (as segmentAreas). */
  async segment(
    azimuth: Float64Array,
    altitude: Float64Array,
    grid: Grid,
    parameters: AnalysisParameters,
  ): Promise<AreaSegmentation> {
    const az = azimuth.slice();
    const alt = altitude.slice();
    const reply = await this.request(
      {
        id: 0,
        stage: 'segmentation',
        azimuth: az,
        altitude: alt,
        grid: { width: grid.width, height: grid.height },
        parameters,
      },
      [az, alt],
    );
    if (!('segmentation' in reply)) {
      throw new BenchtopError('INTERNAL', 'the stage worker answered a segmentation with something else');
    }
    return reply.segmentation;
  }

  /** Requests not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Stops the thread; requests still in it fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new BenchtopError('INTERNAL', 'the retinotopy stage worker was closed'));
    await worker?.terminate();
  }

  /** `inputs`: arrays of the caller's own (copies), whose buffers move to the worker. */
  private request(message: StageRequest, inputs: ArrayBufferView[]): Promise<StageReply> {
    if (this.closed) {
      return Promise.reject(new BenchtopError('INTERNAL', 'the retinotopy stage worker is closed'));
    }
    const worker = this.running();
    const id = this.nextId++;
    return new Promise<StageReply>((resolve, reject) => {
      this.pending.set(id, { stage: message.stage, resolve, reject });
      // Held while it owes an answer, let go when idle (the process may exit).
      worker.ref();
      try {
        worker.postMessage(
          { ...message, id },
          inputs.map((a) => a.buffer as ArrayBuffer),
        );
      } catch (error) {
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(error);
      }
    });
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const worker = this.spawn();
    worker.on('message', (reply: StageReply) => {
      const entry = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (!entry) return;
      if ('error' in reply) entry.reject(errorOfStage(reply.error));
      else entry.resolve(reply);
    });
    // A thread that died (uncaught error, out of memory, exit) answers nothing more: fail what it
    // held and start a new one for the next request.
    const died = (reason: string, cause?: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(
        new BenchtopError(
          'INTERNAL',
          `the retinotopy stage worker ${reason}`,
          {},
          cause ? { cause } : undefined,
        ),
      );
    };
    worker.on('error', (err) => died(`failed: ${err.message}`, err));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(error: BenchtopError): void {
    for (const entry of this.pending.values()) {
      entry.reject(
        new BenchtopError(
          'INTERNAL',
          `${error.message} during ${REQUEST_NAMES[entry.stage]} request`,
          {
            stage: entry.stage,
          },
          { cause: error.cause ?? error },
        ),
      );
    }
    this.pending.clear();
  }
}
