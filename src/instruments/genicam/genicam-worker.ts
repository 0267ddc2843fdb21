import { setImmediate as nextTurn } from 'node:timers/promises';
import { parentPort } from 'node:worker_threads';
import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { AravisCamera } from './aravis-camera.ts';
import type { MainToWorker, WorkerRequest, WorkerStatistics, WorkerToMain } from './genicam-protocol.ts';

/**
 * The acquisition thread of one GenicamCamera: it owns the ArvCamera and its stream, so the
 * blocking libaravis calls (register round trips, buffer pops) never stall the main event loop.
 * Each completed buffer is copied out once and transferred to the main thread; while the main
 * thread still holds `maxInFlight` frames a new one is dropped and counted, not queued.
 */

const port = parentPort;
if (!port) throw new Error('genicam-worker must run in a worker thread');

/** How long one pop waits: the longest a control message waits behind the stream. */
const POP_TIMEOUT_US = 20_000;
/** Without a frame for this long, a register read tells a quiet camera from a gone one. */
const PROBE_AFTER_MS = 1000;

let camera: AravisCamera | null = null;
let inFlight = 0;
let maxInFlight = 1;
let consumerDrops = 0;
let pumping = false;
let idleProbe: NodeJS.Timeout | null = null;
let refusalReported = false;

function post(message: WorkerToMain, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function describe(error: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  if (isBenchtopError(error)) return { code: error.code, message: error.message, details: error.details };
  return { code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
}

/** The camera stopped answering: say so once and let go of it (the driver reconnects). */
function lost(error: unknown): void {
  const gone = camera;
  camera = null;
  if (idleProbe) clearInterval(idleProbe);
  idleProbe = null;
  try {
    gone?.close();
  } catch {
    // Already unreachable.
  }
  post({ lost: { code: 'LINK_LOST', message: `camera lost: ${describe(error).message}` } });
}

function probe(): boolean {
  try {
    camera?.read('ExposureTime');
    return true;
  } catch (error) {
    lost(error);
    return false;
  }
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  let lastActivity = Date.now();
  try {
    while (camera?.streaming) {
      const popped = camera.pop(POP_TIMEOUT_US);
      if (popped) {
        lastActivity = Date.now();
        if (popped.unsupported && !refusalReported) {
          refusalReported = true;
          const refused = camera.unsupportedFormat();
          if (refused) post({ refused: { code: 'VALUE_INVALID', message: refused.message } });
        }
        if (popped.frame) {
          if (inFlight >= maxInFlight) consumerDrops++;
          else {
            inFlight++;
            post({ frame: popped.frame }, [popped.frame.pixels]);
          }
        }
      } else if (Date.now() - lastActivity > PROBE_AFTER_MS) {
        lastActivity = Date.now();
        if (!probe()) return;
      }
      // Lets control messages and acks in between buffers.
      await nextTurn();
    }
  } catch (error) {
    lost(error);
  } finally {
    pumping = false;
  }
}

function open(): AravisCamera {
  if (!camera) throw new BenchtopError('INSTRUMENT_UNAVAILABLE', 'the camera is not open');
  return camera;
}

function handle(request: WorkerRequest): unknown {
  switch (request.op) {
    case 'open': {
      camera?.close();
      camera = new AravisCamera(request.settings.deviceId);
      const ignored = camera.apply(request.settings);
      idleProbe = setInterval(() => {
        if (camera && !camera.streaming) probe();
      }, PROBE_AFTER_MS * 2);
      return { ...camera.identity(), sensor: camera.sensorSize(), transport: camera.transport, ignored };
    }
    case 'read':
      return open().read(request.feature);
    case 'write':
      refusalReported = false;
      open().write(request.feature, request.value);
      return open().read(request.feature);
    case 'set_region':
      open().setRegion(request.region);
      return open().region();
    case 'execute':
      open().execute(request.feature);
      return null;
    case 'start':
      maxInFlight = request.maxInFlight;
      open().start(request.bufferFrames);
      void pump();
      return null;
    case 'stop':
      camera?.stop();
      return null;
    case 'statistics': {
      const refused = open().unsupportedFormat();
      const stats: WorkerStatistics = {
        ...open().statistics(),
        consumerDrops,
        unsupportedFormatFrames: refused?.frames ?? 0,
        ...(refused ? { unsupportedFormat: refused.message } : {}),
      };
      return stats;
    }
    case 'close':
      if (idleProbe) clearInterval(idleProbe);
      idleProbe = null;
      camera?.close();
      camera = null;
      return null;
  }
}

port.on('message', (message: MainToWorker) => {
  if ('ack' in message) {
    inFlight = Math.max(0, inFlight - message.ack);
    return;
  }
  try {
    post({ id: message.id, ok: true, value: handle(message.request) });
  } catch (error) {
    post({ id: message.id, ok: false, error: describe(error) });
  }
});
