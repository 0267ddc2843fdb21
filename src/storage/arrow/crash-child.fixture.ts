/**
 * Child process for the crash test: writes part of a run, flushes, writes a little more that
 * stays in memory, tells the parent, and waits to be killed with SIGKILL.
 * Usage: node crash-child.fixture.ts <outputDir>
 */
import { ArrowRunWriter } from './arrow-run-writer.ts';
import { cameraDescriptor, syntheticFrame, syntheticRun } from './synthetic-run.fixture.ts';

export const FLUSHED_EVENTS = 300;
export const FLUSHED_FRAMES = 3;
export const UNFLUSHED_EVENTS = 5;

if (process.send) {
  const outputDir = process.argv[2]!;
  const run = syntheticRun(FLUSHED_EVENTS + UNFLUSHED_EVENTS);
  const writer = new ArrowRunWriter({ outputDir, batchRows: 128, queueCapacity: 1000 });
  writer.document({ name: 'start', doc: run.start });
  writer.document({ name: 'descriptor', doc: run.descriptor });
  writer.document({ name: 'descriptor', doc: cameraDescriptor(3, 5) });
  for (const doc of run.events.slice(0, FLUSHED_EVENTS)) writer.document({ name: 'event', doc });
  for (let n = 0; n < FLUSHED_FRAMES; n++) writer.frame('image', syntheticFrame(n, 3, 5));
  await writer.flush();
  for (const doc of run.events.slice(FLUSHED_EVENTS)) writer.document({ name: 'event', doc });
  process.send('flushed');
  // Stay alive until the parent kills us; the interval keeps the event loop busy.
  setInterval(() => {}, 1000);
}
