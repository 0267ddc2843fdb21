import { parentPort } from 'node:worker_threads';
import { runStageRequest } from './stage-requests.ts';
import type { StageRequest } from './stage-worker-protocol.ts';

/**
 * The thread of stages 2–4 and stage 1's read-out (StageWorker): one request at a time, in the order they came, so a
 * segmentation of half a second never holds up the server's event loop.
 */
parentPort?.on('message', (request: StageRequest) => {
  const { reply, transfer } = runStageRequest(request);
  parentPort?.postMessage(reply, transfer);
});
