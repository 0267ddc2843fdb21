/**
 * The HDF5 writer's thread. h5wasm is synchronous (every call blocks until the bytes are in the
 * file), so it runs here and never on the server's event loop. Messages arrive in the order
 * the run engine produced them; progress goes back after each burst so the main thread's queue
 * count stays accurate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import h5wasm from 'h5wasm/node';
import { describeHdf5Error } from './hdf5-error.ts';
import { NexusRunFile } from './nexus-run-file.ts';
import { applyThreadNice } from './thread-nice.ts';
import type { FromWorker, Hdf5FileSettings, ToWorker, WorkerProgress } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('hdf5-worker.ts runs as a worker thread (see Hdf5RunWriter)');
const settings = workerData as Hdf5FileSettings;
const post = (message: FromWorker) => port.postMessage(message);
const threadNice = settings.writerNice === undefined ? null : applyThreadNice(settings.writerNice);

const module = await h5wasm.ready;
// Without this, HDF5 prints its error stack and h5wasm carries on as if nothing failed.
module.activate_throwing_error_handler();

const run = new NexusRunFile({
  ...settings,
  ...(threadNice?.applied != null ? { compressorNice: threadNice.previous } : {}),
  module,
  warn: (problem) => post({ t: 'warning', problem }),
  refused: (dataKey, row) => post({ t: 'refused', dataKey, row }),
  fail: (err) => fail(err, 'frame compression'),
  frameStored: () => reportSoon(),
});
let failed = false;
let processed = 0;
let reportScheduled = false;
let closedFiles: string[] = [];

function progress(): WorkerProgress {
  return {
    processed,
    bytesWritten: run.bytesWritten,
    directBytes: run.directBytes,
    framesWritten: run.framesWritten,
    eventsWritten: run.eventsWritten,
    compression: run.compressionStats(),
    threadNice,
  };
}

/** The first failure stops all writing: a file with a hole in the middle would mislead. */
function fail(err: unknown, operation: string): void {
  if (failed) return;
  failed = true;
  const { message, details } = describeHdf5Error(err);
  post({
    t: 'failed',
    problem: {
      code: 'STORAGE_ERROR',
      message: `HDF5 writer (${settings.outputDir}): ${operation} failed: ${message}`,
      details: { outputDir: settings.outputDir, operation, ...details },
    },
  });
}

function handle(message: ToWorker): void {
  switch (message.t) {
    case 'doc':
      run.document(message.doc, message.frameRows);
      break;
    case 'frame':
      run.frame(message.dataKey, message.row, message.frame);
      break;
    case 'flush':
      run.flush(message.frameRows);
      break;
    case 'close':
      closedFiles = run.close(message.frameRows);
      break;
  }
}

function operationOf(message: ToWorker): string {
  if (message.t === 'doc') return `${message.doc.name} document`;
  if (message.t === 'frame') return `frame ${message.frame.frameNumber} of ${message.dataKey}`;
  return message.t;
}

/**
 * Messages are handled one after another; those after which frames must be in their files
 * (flush, close, the stop document) first wait for the compressor threads to hand every
 * submitted frame back (NexusRunFile.drain), and a frame waits while the compressor queue is
 * full (NexusRunFile.frameRoom).
 */
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  queue = queue.then(() => receive(message));
});

function needsDrain(message: ToWorker): boolean {
  return (
    message.t === 'flush' || message.t === 'close' || (message.t === 'doc' && message.doc.name === 'stop')
  );
}

async function receive(message: ToWorker): Promise<void> {
  if (!failed && needsDrain(message)) await run.drain();
  // A frame waits for room at the compressor; until it is handed over it counts in the main
  // thread's queue (`processed` is not yet incremented), whose bound refuses and reports.
  if (!failed && message.t === 'frame') {
    const room = run.frameRoom();
    if (room) await room;
  }
  if (!failed) {
    try {
      handle(message);
    } catch (err) {
      fail(err, operationOf(message));
    }
  }
  processed++;
  if (message.t === 'flush') {
    post({ t: 'flushed', id: message.id, ...progress() });
  } else if (message.t === 'close') {
    const files = failed ? closeAfterFailure() : closedFiles;
    await run.shutdown().catch(() => {});
    post({ t: 'closed', id: message.id, files, ...progress() });
  } else {
    reportSoon();
  }
}

/** One progress report per burst of messages or stored chunks, not one per message. */
function reportSoon(): void {
  if (reportScheduled) return;
  reportScheduled = true;
  setImmediate(() => {
    reportScheduled = false;
    post({ t: 'progress', ...progress() });
  });
}

/**
 * Releases the file without writing anything more to it (see SwmrRunFile.abandon): the file
 * keeps what the last flush made readable. The failure has already been reported.
 */
function closeAfterFailure(): string[] {
  try {
    return run.abandon();
  } catch {
    // The first error is the one that counts.
    return run.files;
  }
}
