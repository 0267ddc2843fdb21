/**
 * Child process for the "disk full" test: runs under a file-size limit (`ulimit -f`), so a
 * write past it fails with EFBIG the way a full disk fails with ENOSPC. Streams 2048×2048
 * frames (the direct-write path, or the page cache with `buffered`), flushes after the first
 * two, and prints one JSON line with what the writer reported.
 * Usage: node file-size-limit-child.ts <direct|buffered> <output_dir>
 */
import type { BenchtopError } from '../../../core/errors.ts';
import { Hdf5RunWriter } from '../hdf5-run-writer.ts';
import { cameraDescriptor, startDoc, stopDoc, syntheticFrame } from './synthetic-run.ts';

// Without a handler the kernel's SIGXFSZ would kill the process instead of failing the write.
process.on('SIGXFSZ', () => {});
setTimeout(() => process.exit(3), 60_000).unref();

const [mode, outputDir] = process.argv.slice(2);
if ((mode !== 'direct' && mode !== 'buffered') || !outputDir) {
  throw new Error('usage: file-size-limit-child.ts <direct|buffered> <output_dir>');
}
const [height, width] = [2048, 2048];
const errors: BenchtopError[] = [];
const writer = new Hdf5RunWriter({
  outputDir,
  compressionLevel: 1,
  cameraCompression: 'none',
  directFrameWrites: mode === 'direct',
  queueCapacity: 64,
  autoFlushIntervalSecs: 60,
  onError: (e) => errors.push(e),
});
const descriptor = cameraDescriptor();
descriptor.data_keys.cam_image!.shape = [height, width];
writer.document({ name: 'start', doc: startDoc() });
writer.document({ name: 'descriptor', doc: descriptor });
const frame = (n: number) => {
  const pixels = new Uint16Array(height * width).fill(1000 + n);
  return { ...syntheticFrame(n), pixels, height, width };
};
writer.frame('cam_image', frame(0));
writer.frame('cam_image', frame(1));
await writer.flush();
for (let n = 2; n < 12; n++) writer.frame('cam_image', frame(n));
writer.document({ name: 'stop', doc: stopDoc({ camera: 12 }) });
let closeError: BenchtopError | null = null;
let files: string[] = [];
try {
  files = (await writer.close()).files;
} catch (err) {
  closeError = err as BenchtopError;
  files = (closeError.details.files as string[] | undefined) ?? [];
}
const stats = writer.stats();
console.log(
  JSON.stringify({
    errors: errors.map((e) => ({ code: e.code, message: e.message })),
    closeError: closeError && {
      code: closeError.code,
      message: closeError.message,
      recovery: closeError.details.recovery,
    },
    files,
    framesWritten: stats.framesWritten,
    directBytes: stats.bytesWrittenDirect,
  }),
);
