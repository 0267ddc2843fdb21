import type { Benchmark } from '../lib/benchmark.ts';
import { cameraHdf5Benchmark } from './camera-hdf5.ts';
import { cliStartupBenchmark } from './cli-startup.ts';
import { commandLatencyBenchmark } from './command-latency.ts';
import { fanoutBenchmark } from './fanout.ts';
import { genicamBenchmark } from './genicam.ts';
import { ingestBenchmark } from './ingest.ts';
import { loggingJitterBenchmark } from './logging-jitter.ts';
import { scpiBenchmark } from './scpi.ts';
import { startupBenchmark } from './startup.ts';

/** Every benchmark, in the order. */
export const benchmarks: Benchmark[] = [
  scpiBenchmark,
  cameraHdf5Benchmark,
  fanoutBenchmark,
  commandLatencyBenchmark,
  ingestBenchmark,
  loggingJitterBenchmark,
  startupBenchmark,
  cliStartupBenchmark,
  genicamBenchmark,
];
