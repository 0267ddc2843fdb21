/**
 * Child process for the crash-safety test: writes a run, flushes, prints `flushed <file>`, then
 * writes more events and frames without flushing (printing `unflushed <n>` after each) until
 * the test kills it with SIGKILL.
 * Usage: node kill-after-flush-child.ts <output_dir> [camera_compression]
 */
import { join } from 'node:path';
import { Hdf5RunWriter } from '../hdf5-run-writer.ts';
import { runFileName } from '../run-file-layout.ts';
import type { CameraCompression } from '../worker-protocol.ts';
import {
  cameraDescriptor,
  cameraResource,
  primaryDescriptor,
  primaryEvent,
  startDoc,
  syntheticFrame,
} from './synthetic-run.ts';

const outputDir = process.argv[2];
if (!outputDir) throw new Error('usage: kill-after-flush-child.ts <output_dir>');

const writer = new Hdf5RunWriter({
  outputDir,
  compressionLevel: 6,
  cameraCompression: (process.argv[3] ?? 'none') as CameraCompression,
  queueCapacity: 256,
  autoFlushIntervalSecs: 3600,
  onError: (err) => console.error(`error ${err.code}: ${err.message}`),
});
writer.document({ name: 'start', doc: startDoc() });
writer.document({ name: 'descriptor', doc: primaryDescriptor() });
writer.document({ name: 'descriptor', doc: cameraDescriptor() });
writer.document({ name: 'stream_resource', doc: cameraResource() });
for (let i = 0; i < 10; i++) writer.document({ name: 'event', doc: primaryEvent(i) });
for (let n = 0; n < 3; n++) writer.frame('cam_image', syntheticFrame(n));
await writer.flush();
console.log(`flushed ${join(outputDir, runFileName(startDoc()))}`);

// Unflushed work in flight when the kill comes.
let i = 10;
const writing = setInterval(() => {
  writer.document({ name: 'event', doc: primaryEvent(i) });
  writer.frame('cam_image', syntheticFrame(i));
  console.log(`unflushed ${i}`);
  if (++i === 40) clearInterval(writing);
}, 5);

// Never outlive the test: leave if the parent went away or the kill never came.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(2);
}, 200);
setTimeout(() => process.exit(3), 60_000);
