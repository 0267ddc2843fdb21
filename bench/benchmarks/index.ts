import type { Benchmark } from '../lib/benchmark.ts';
import { cameraCompressionBenchmark } from './camera-compression.ts';
import { cameraHdf5Benchmark } from './camera-hdf5.ts';
import { cliStartupBenchmark } from './cli-startup.ts';
import { commandLatencyBenchmark } from './command-latency.ts';
import { fanoutBenchmark } from './fanout.ts';
import { genicamBenchmark } from './genicam.ts';
import { ingestBenchmark } from './ingest.ts';
import { isiRecordingBenchmark } from './isi-recording.ts';
import { lineTrackingBenchmark } from './line-tracking.ts';
import { loggingJitterBenchmark } from './logging-jitter.ts';
import { logixBenchmark } from './logix.ts';
import { modbusBenchmark } from './modbus.ts';
import { retinotopyBenchmark } from './retinotopy.ts';
import { scpiBenchmark } from './scpi.ts';
import { siteCommandBenchmark } from './site-command.ts';
import { siteIngestBenchmark } from './site-ingest.ts';
import { siteLatencyBenchmark } from './site-latency.ts';
import { startupBenchmark } from './startup.ts';
import { tagScaleBenchmark } from './tagscale.ts';

/** Every benchmark, in the order. */
export const benchmarks: Benchmark[] = [
  scpiBenchmark,
  cameraHdf5Benchmark,
  cameraCompressionBenchmark,
  fanoutBenchmark,
  commandLatencyBenchmark,
  ingestBenchmark,
  loggingJitterBenchmark,
  startupBenchmark,
  cliStartupBenchmark,
  modbusBenchmark,
  tagScaleBenchmark,
  logixBenchmark,
  lineTrackingBenchmark,
  genicamBenchmark,
  retinotopyBenchmark,
  isiRecordingBenchmark,
  siteLatencyBenchmark,
  siteCommandBenchmark,
  siteIngestBenchmark,
];
