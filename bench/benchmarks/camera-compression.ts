import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Benchmark, pick } from '../lib/benchmark.ts';
import { scratchDir } from '../lib/benchtop-process.ts';
import { writeRealisticFrames } from '../lib/camera-frames.ts';
import { benchScript, nodeBin, python, runJson } from '../lib/child-process.ts';
import { type BenchResult, makeResult } from '../lib/results.ts';
import { alternate } from '../lib/rounds.ts';
import { median, spread as spreadOf } from '../lib/stats.ts';

/** A Prime BSI full frame at 43 fps: 2048 × 2048 × 2 bytes × 43. */
const SENSOR_MB_PER_S = 361;
const DISTINCT_FRAMES = 8;

interface Codec {
  name: 'deflate' | 'lz4' | 'bitshuffle-lz4' | 'zstd';
  level: number;
  filterId: number;
  /** Whether Debian's own packages (HDF5 itself, hdf5-filter-plugin) let h5py read it. */
  debianReadable: boolean;
}

const CODECS: Codec[] = [
  { name: 'deflate', level: 1, filterId: 1, debianReadable: true },
  { name: 'lz4', level: 0, filterId: 32004, debianReadable: true },
  // Level 1 stores blocks LZ4 cannot shrink by a quarter as they are (h5py's side: its only level).
  { name: 'lz4', level: 1, filterId: 32004, debianReadable: true },
  { name: 'bitshuffle-lz4', level: 0, filterId: 32008, debianReadable: false },
  { name: 'zstd', level: 1, filterId: 32015, debianReadable: false },
];

interface Outcome {
  mb_per_s: number;
  mb_per_cpu_s: number;
  ratio: number;
  busy?: number;
  disk_busy?: number;
  limiting_stage?: string;
  dropped?: number;
  /** The LZ4 implementation Benchtop's threads used (docs/decisions/0025-liblz4-through-koffi.md). */
  lz4?: string;
}

/** Why h5py cannot write with this filter here, or null. */
function h5pyFilterMissing(filterId: number): string | null {
  const code = `import h5py\ntry:\n  import hdf5plugin\nexcept ImportError:\n  pass\nassert h5py.h5z.filter_avail(${filterId})`;
  const probe = spawnSync(python, ['-c', code], { stdio: 'ignore' });
  return probe.status === 0
    ? null
    : `h5py has no filter ${filterId} here (python3-h5py, hdf5-filter-plugin; Debian packages no bitshuffle or zstd HDF5 plugin)`;
}

/**
 * 2b. Lossless camera compression, end to end: realistic frames (the simulated camera's pattern
 * with shot noise, 2048 × 2048 uint16) written by Hdf5RunWriter with `camera_compression` set
 * to each codec (compressed on its ChunkCompressorPool threads, stored pre-compressed in the
 * run's frames file, the files closed and fsynced) against h5py writing the same frames with
 * the same filter pipeline, level and chunking (one frame per chunk). MB/s of input,
 * compression ratio, and which stage limited Benchtop's writer.
 */
export const cameraCompressionBenchmark: Benchmark = {
  name: 'camera-compression',
  title: 'Lossless camera compression',
  async run(ctx) {
    const frames = pick(ctx, { quick: 48, full: 200 });
    const threads = Math.max(1, Math.min(2, availableParallelism()));
    const scratch = scratchDir('compression');
    const framesFile = join(scratch.dir, 'frames.raw');
    writeRealisticFrames(framesFile, DISTINCT_FRAMES);
    const results: BenchResult[] = [];
    try {
      for (const codec of CODECS) {
        const ratios: Record<string, number[]> = { benchtop: [], h5py: [] };
        const stages: string[] = [];
        const lz4Used = new Set<string>();
        const perCpu: Record<string, number[]> = { benchtop: [], h5py: [] };
        const contender = (name: 'benchtop' | 'h5py', run: () => Promise<Outcome>) => ({
          name,
          unavailable: name === 'h5py' ? h5pyFilterMissing(codec.filterId) : null,
          run: async () => {
            const outcome = await run();
            if (outcome.dropped) throw new Error(`${outcome.dropped} frames refused`);
            if (outcome.limiting_stage) {
              stages.push(
                `${outcome.limiting_stage} (compressor busy ${(outcome.busy ?? 0).toFixed(2)}, disk ${(outcome.disk_busy ?? 0).toFixed(2)})`,
              );
            }
            if (outcome.lz4) lz4Used.add(outcome.lz4);
            ratios[name]!.push(outcome.ratio);
            perCpu[name]!.push(outcome.mb_per_cpu_s);
            return outcome.mb_per_s;
          },
        });
        const out = join(scratch.dir, `${codec.name}-${codec.level}.out`);
        const outcome = await alternate(
          ctx.rounds,
          [
            contender('benchtop', () =>
              runJson<Outcome>(
                nodeBin,
                [
                  ...ctx.nodeArgs(`compression-${codec.name}`),
                  benchScript('children/compressed-frame-writer.ts'),
                  framesFile,
                  `${out}.run`,
                  String(frames),
                  codec.name,
                  String(codec.level),
                ],
                { timeoutMs: 600_000 },
              ),
            ),
            contender('h5py', () =>
              runJson<Outcome>(
                python,
                [
                  benchScript('anchors/h5py_compressed_frames.py'),
                  framesFile,
                  `${out}.h5`,
                  String(frames),
                  codec.name,
                  // h5py's LZ4 filter has no levels: its one is level 0's
                  String(codec.name === 'lz4' ? 0 : codec.level),
                ],
                { timeoutMs: 600_000 },
              ),
            ),
          ],
          ctx.log,
        );
        const ratioNote = (name: string) =>
          ratios[name]!.length > 0
            ? `${name} ratio ${median(ratios[name]!).toFixed(2)}`
            : `${name} ratio n/a`;
        const notes = [
          `${frames} frames (${DISTINCT_FRAMES} distinct) per round, level ${codec.level}, ${threads} compressor threads; ${ratioNote('benchtop')}, ${ratioNote('h5py')}`,
          codec.debianReadable
            ? 'read by h5py with Debian packages (HDF5, hdf5-filter-plugin)'
            : 'needs a bitshuffle/zstd HDF5 plugin Debian does not package (hdf5plugin from PyPI)',
          "Benchtop side: Hdf5RunWriter end to end, frames in the run's frames file (docs/decisions/0012-compressed-frame-chunks.md)",
          `limiting stage per round: ${stages.join('; ') || 'n/a'}`,
          ...(lz4Used.size > 0 ? [`Benchtop's LZ4: ${[...lz4Used].join(', ')}`] : []),
        ];
        // "≥ 2× h5py with the same filter and level": h5py's LZ4 has only level 0.
        const targets: Parameters<typeof makeResult>[0]['targets'] =
          codec.name === 'lz4' && codec.level > 0
            ? []
            : [{ kind: 'ratio-at-least', anchor: 'h5py', ratio: 2 }];
        if (codec.debianReadable) targets.push({ kind: 'at-least', value: SENSOR_MB_PER_S });
        results.push(
          makeResult({
            benchmark: 'camera-compression',
            metric: `${codec.name} level ${codec.level} (filter ${codec.filterId}) input rate`,
            unit: 'MB/s',
            ours: outcome.benchtop!,
            anchors: { h5py: outcome.h5py! },
            targets,
            notes,
          }),
        );
        if (perCpu.benchtop!.length > 0) {
          // Throughput per CPU-second: what contention from other jobs does not change. The
          // sensor's 361 MB/s on 2 cores needs ≥ 180.5 MB per CPU-second.
          results.push(
            makeResult({
              benchmark: 'camera-compression',
              metric: `${codec.name} level ${codec.level} input per CPU-second (all threads)`,
              unit: 'MB/cpu-s',
              ours: spreadOf(perCpu.benchtop!),
              anchors: perCpu.h5py!.length > 0 ? { h5py: spreadOf(perCpu.h5py!) } : {},
              targets: codec.debianReadable ? [{ kind: 'at-least', value: SENSOR_MB_PER_S / 2 }] : [],
            }),
          );
        }
        if (ratios.benchtop!.length > 0) {
          results.push(
            makeResult({
              benchmark: 'camera-compression',
              metric: `${codec.name} level ${codec.level} compression ratio`,
              unit: '×',
              ours: median(ratios.benchtop!),
              anchors: ratios.h5py!.length > 0 ? { h5py: median(ratios.h5py!) } : {},
              targets: codec.debianReadable ? [{ kind: 'at-least', value: 1.5 }] : [],
            }),
          );
        }
      }
      return results;
    } finally {
      scratch.remove();
    }
  },
};
