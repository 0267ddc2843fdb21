/**
 * Benchmark 2, the physical limit: the same frame bytes written sequentially to one file with
 * plain write(2) calls and one fsync at the end, no HDF5 at all.
 *
 *   node bench/children/raw-frame-writer.ts PATH FRAMES HEIGHT WIDTH
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { framePool } from '../lib/frames.ts';

const [path, framesArg, heightArg, widthArg] = process.argv.slice(2);
const [frames, height, width] = [framesArg, heightArg, widthArg].map(Number) as [number, number, number];
const pool = framePool(height, width);
const t0 = performance.now();
const fd = openSync(path!, 'w');
for (let n = 0; n < frames; n++) writeSync(fd, pool[n % 4]!);
fsyncSync(fd);
closeSync(fd);
const seconds = (performance.now() - t0) / 1000;
const bytes = frames * height * width * 2;
console.log(JSON.stringify({ writer: 'raw-write', frames, bytes, seconds, mb_per_s: bytes / 1e6 / seconds }));
