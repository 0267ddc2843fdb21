/**
 * One thread of the ChunkCompressorPool: compresses each chunk it is sent with the codec it is
 * told and sends the result back, both buffers transferred (never copied between threads).
 */
import { parentPort } from 'node:worker_threads';
import { compressChunk } from './chunk-codecs.ts';
import type { CompressReply, CompressRequest } from './chunk-compressor-pool.ts';

const port = parentPort;
if (!port) throw new Error('chunk-compressor-worker.ts runs as a worker thread (see ChunkCompressorPool)');

port.on('message', (request: CompressRequest) => {
  const started = performance.now();
  const chunk = new Uint8Array(request.chunk);
  const compressed = compressChunk(request.codec, request.level, request.elementSize, chunk);
  // Own buffer of exactly the compressed size, so the transfer moves no spare capacity.
  const out =
    compressed.byteOffset === 0 && compressed.byteLength === compressed.buffer.byteLength
      ? (compressed.buffer as ArrayBuffer)
      : new Uint8Array(compressed).buffer; // a copy (Buffer.slice would share)
  const reply: CompressReply = {
    id: request.id,
    compressed: out,
    chunk: request.chunk,
    busyMs: performance.now() - started,
  };
  port.postMessage(reply, [out, request.chunk]);
});
