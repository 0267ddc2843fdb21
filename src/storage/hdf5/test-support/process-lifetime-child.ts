/**
 * Child process for the process-lifetime tests. `close`: writes a run and awaits close() at top
 * level (prints `closed <file>`). `forget`: writes documents and never closes (prints `posted`);
 * the process must still exit once the worker is idle.
 * Usage: node process-lifetime-child.ts <close|forget> <output_dir>
 */
import { ManualClock } from '../../../core/clock.ts';
import { Hdf5RunWriter } from '../hdf5-run-writer.ts';
import { scalarRun, syntheticFrame } from './synthetic-run.ts';

const [mode, outputDir] = process.argv.slice(2);
if ((mode !== 'close' && mode !== 'forget') || !outputDir) {
  throw new Error('usage: process-lifetime-child.ts <close|forget> <output_dir>');
}
// Never outlive the test.
setTimeout(() => process.exit(3), 30_000).unref();

const writer = new Hdf5RunWriter({
  outputDir,
  compressionLevel: 1,
  cameraCompression: 'none',
  queueCapacity: 64,
  autoFlushIntervalSecs: 5,
  clock: new ManualClock(),
});
const docs = scalarRun(3);
for (const doc of docs.slice(0, -1)) writer.document(doc);
if (mode === 'forget') {
  writer.frame('cam_image', syntheticFrame(0)); // not declared: refused, never queued
  console.log('posted');
} else {
  writer.document(docs.at(-1)!);
  const { files } = await writer.close();
  console.log(`closed ${files.join(' ')}`);
}
