/**
 * One thread of the ChunkCompressorPool: compresses each chunk it is sent with the codec it is
 * told and sends the result back, both buffers transferred (never copied between threads).
 */
import { parentPort } from 'node:worker_threads';
import { type ChunkScratch, compressChunk } from './chunk-codecs.ts';
import type { CompressReply, CompressRequest } from './chunk-compressor-pool.ts';

const port = parentPort;
if (!port) throw new Error('chunk-compressor-worker.ts runs as a worker thread (see ChunkCompressorPool)');

/** This thread's reusable buffers (see ChunkScratch): results that are views of them are copied. */
const scratch: ChunkScratch = {};

port.on('message', (request: CompressRequest) => {
  const started = performance.now();
  const chunk = new Uint8Array(request.chunk);
  const compressed = compressChunk(request.codec, request.level, request.elementSize, chunk, scratch);
  // Own buffer of exactly the compressed size, so the transfer moves no spare capacity (and
  // never a scratch buffer).
  const own =
    compressed.byteOffset === 0 &&
    compressed.byteLength === compressed.buffer.byteLength &&
    compressed.buffer !== scratch.out?.buffer &&
    compressed.buffer !== scratch.shuffled?.buffer;
  const out = own ? (compressed.buffer as ArrayBuffer) : new Uint8Array(compressed).buffer; // a copy (Buffer.slice would share)
  const reply: CompressReply = {
    id: request.id,
    compressed: out,
    chunk: request.chunk,
    busyMs: performance.now() - started,
  };
  port.postMessage(reply, [out, request.chunk]);
});
