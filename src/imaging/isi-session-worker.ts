/**
 * The ISI session file's thread: h5wasm blocks until the bytes are in the file (a 512 × 512
 * frame is half a megabyte), so the session is written here and never on the server's event
 * loop. Messages arrive in the recorder's order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import h5wasm from 'h5wasm/node';
import { IsiSessionFile } from './isi-session-file.ts';
import type { FromSessionWorker, SessionWorkerData, ToSessionWorker } from './isi-session-worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('isi-session-worker.ts runs as a worker thread (see IsiSessionWriter)');
const { path, start } = workerData as SessionWorkerData;
const post = (message: FromSessionWorker) => port.postMessage(message);

let failed = false;
let processed = 0;
let cameraFramesWritten = 0;
let reportScheduled = false;
let file: IsiSessionFile | null = null;
/** Buffers of frames written since the last report, sent back so the main thread allocates none. */
let spares: ArrayBuffer[] = [];

function fail(err: unknown, operation: string): void {
  if (failed) return;
  failed = true;
  post({
    t: 'failed',
    message: `${path}: ${operation} failed: ${err instanceof Error ? err.message : String(err)}`,
  });
}

try {
  const m = await h5wasm.ready;
  // Without this, HDF5 prints its error stack and h5wasm carries on as if nothing failed.
  m.activate_throwing_error_handler();
  file = await IsiSessionFile.create(path, start);
  post({ t: 'opened' });
} catch (err) {
  fail(err, 'create');
}

function handle(message: ToSessionWorker): void {
  if (!file) return;
  switch (message.t) {
    case 'camera':
      file.appendCameraFrame(message.dir, message.frame);
      cameraFramesWritten++;
      spares.push(message.frame.pixels.buffer as ArrayBuffer);
      break;
    case 'stimulus':
      file.appendStimulusFrames(message.dir, message.frames);
      break;
    case 'anatomical':
      file.writeAnatomical(message.image);
      break;
    case 'latency':
      file.applyPresentationLatency(message.latencyMs);
      break;
    case 'flush':
      file.flush();
      break;
    case 'close':
      file.close(message.attrs);
      file = null;
      break;
  }
}

port.on('message', (message: ToSessionWorker) => {
  if (!failed) {
    try {
      handle(message);
    } catch (err) {
      fail(
        err,
        message.t === 'camera' ? `camera frame ${message.frame.frameNumber} (${message.dir})` : message.t,
      );
    }
  }
  processed++;
  if (message.t === 'flush' || message.t === 'close') {
    post({ t: 'done', id: message.id, processed, cameraFramesWritten });
  } else if (!reportScheduled) {
    // One progress report per burst of messages, not one per message.
    reportScheduled = true;
    setImmediate(() => {
      reportScheduled = false;
      const given = spares;
      spares = [];
      port.postMessage(
        { t: 'progress', processed, cameraFramesWritten, spares: given } satisfies FromSessionWorker,
        given,
      );
    });
  }
});
