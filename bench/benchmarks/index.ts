import type { Benchmark } from '../lib/benchmark.ts';
import { cameraHdf5Benchmark } from './camera-hdf5.ts';
import { scpiBenchmark } from './scpi.ts';

/** Every benchmark, in the order. */
export const benchmarks: Benchmark[] = [scpiBenchmark, cameraHdf5Benchmark];
