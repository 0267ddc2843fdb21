/**
 * One thread of the ChunkCompressorPool: compresses each chunk it is sent with the codec it is
 * told and sends the result back, transferred (never copied between threads). The LZ4 codecs
 * write their result over the chunk they were sent (compressChunk's `into`), so the chunk's own
 * buffer goes back holding it: no output buffer is allocated per frame.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkScratch, compressChunk } from './chunk-codecs.ts';
import type { CompressorStarted, CompressReply, CompressRequest } from './chunk-compressor-pool.ts';
import { applyThreadNice } from './thread-nice.ts';

const port = parentPort;
if (!port) throw new Error('chunk-compressor-worker.ts runs as a worker thread (see ChunkCompressorPool)');
// The process's nice value, set back: this thread inherited the writer thread's raised one.
const { threadNice } = (workerData ?? {}) as { threadNice: number | null };
if (threadNice != null) applyThreadNice(threadNice);
port.postMessage({ started: true } satisfies CompressorStarted);

/** This thread's reusable buffers (see ChunkScratch): results that are views of them are copied. */
const scratch: ChunkScratch = {};

port.on('message', (request: CompressRequest) => {
  const started = performance.now();
  const chunk = new Uint8Array(request.chunk);
  const rawBytes = chunk.byteLength;
  const compressed = compressChunk(request.codec, request.level, request.elementSize, chunk, scratch, chunk);
  let out: ArrayBuffer;
  let offset = 0;
  if (compressed.buffer === request.chunk) {
    out = request.chunk;
    offset = compressed.byteOffset;
  } else if (
    compressed.byteOffset === 0 &&
    compressed.byteLength === compressed.buffer.byteLength &&
    compressed.buffer !== scratch.out?.buffer &&
    compressed.buffer !== scratch.shuffled?.buffer
  ) {
    // node:zlib's result, a buffer of its own of exactly the compressed size.
    out = compressed.buffer as ArrayBuffer;
  } else {
    out = new Uint8Array(compressed).buffer; // a copy (a Buffer's slice would share its pool)
  }
  const reply: CompressReply = {
    id: request.id,
    compressed: out,
    offset,
    length: compressed.byteLength,
    rawBytes,
    busyMs: performance.now() - started,
  };
  port.postMessage(reply, [out]);
});
