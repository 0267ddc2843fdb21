/**
 * Runs inside a loopback-only network namespace (bench/benchmarks/genicam.ts puts it there):
 * starts Aravis's fake GigE Vision camera, has Aravis's own arv-camera-test-0.8 receive its
 * stream for a while, then Benchtop (a GenicamCamera recording a camera_acquire run into HDF5)
 * receive the same stream with the same settings. Prints one JSON line with both.
 *
 * Rounds alternate anchor and Benchtop, since the fake's own rate drifts with the machine's load.
 *
 *   node genicam-stream.ts OUTPUT_DIR SECONDS WIDTH HEIGHT FPS EXPOSURE_US ROUNDS
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Benchtop } from '../../src/app/benchtop.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { CAMERA_TEST, FakeCamera } from '../../src/instruments/genicam/fake-camera-rig.ts';

const [dir, secondsText, widthText, heightText, fpsText, exposureText, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText ?? 1);
const seconds = Number(secondsText);
const width = Number(widthText);
const height = Number(heightText);
const fps = Number(fpsText);
const exposureUs = Number(exposureText);
const payloadBytes = width * height; // Mono8
const fake = new FakeCamera('BENCH');

/** arv-camera-test prints "N frames/s - X MiB/s" each second and its stream counters when interrupted. */
async function anchor(): Promise<Record<string, number>> {
  const child = spawn(
    CAMERA_TEST,
    [
      '-n',
      fake.deviceId,
      '-f',
      String(fps),
      '-w',
      String(width),
      '-h',
      String(height),
      '-e',
      String(exposureUs),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Its first line comes after a second of streaming; run for `seconds` of lines past that.
  await sleep((seconds + 1.5) * 1000);
  child.kill('SIGINT');
  await exited;
  const rates = [...out.matchAll(/^\s*(\d+) frames\/s -\s+([\d.]+) MiB\/s/gm)].map((m) => Number(m[1]));
  // The first second includes the stream starting; the last may be cut short by the interrupt.
  const steady = rates.slice(1, -1);
  const counter = (name: string) =>
    Number(new RegExp(`^${name}\\s+= (\\d+)`, 'm').exec(out)?.[1] ?? Number.NaN);
  const fpsMean = steady.reduce((a, b) => a + b, 0) / Math.max(1, steady.length);
  return {
    fps: fpsMean,
    mb_per_s: (fpsMean * payloadBytes) / 1e6,
    seconds_measured: steady.length,
    completed: counter('n_completed_buffers'),
    dropped: counter('n_failures') + counter('n_underruns') + counter('n_missing_frames'),
  };
}

async function ours(): Promise<Record<string, number>> {
  const toml = `
[server]
bind_address = "127.0.0.1"
port = 0
[storage]
output_dir = "${dir}"
[[instruments]]
id = "gige"
type = "GenicamCamera"
config = { device_id = "${fake.deviceId}", pixel_format = "Mono8", roi = { width = ${width}, height = ${height} }, frame_rate = ${fps}, exposure_us = ${exposureUs}, buffer_frames = 32 }
`;
  const bt = new Benchtop(loadBenchtopConfig({ text: toml }), silentLogger());
  const identified = bt.bus.once('instrument.identity', (e) => e.instrument === 'gige');
  await bt.start();
  await identified;
  try {
    const stamps: number[] = [];
    bt.bus.on('camera.frame', ({ frame }) => {
      stamps.push(frame.timestamp);
    });
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const { uid } = bt.engine.submit('camera_acquire', {
      camera: 'gige',
      duration_s: seconds + 1,
      exposure_ms: exposureUs / 1000,
    });
    const run = await bt.engine.whenFinished(uid);
    delay.disable();
    if (run.exit_status !== 'success')
      throw new Error(`camera_acquire: ${run.exit_status} ${run.reason ?? ''}`);
    const events = bt.catalog.documents(uid, { name: 'event' }).length;
    const file = join(dir, bt.catalog.get(uid)!.files[0]!);
    // The first second includes the stream starting, as for the anchor.
    const first = stamps.findIndex((t) => t >= stamps[0]! + 1000);
    const steadyFrames = stamps.length - 1 - first;
    const steadySeconds = (stamps.at(-1)! - stamps[first]!) / 1000;
    const rate = steadyFrames / steadySeconds;
    const dropped = (await bt.instruments.get('gige').read('frames_dropped')).value as number;
    return {
      fps: rate,
      mb_per_s: (rate * payloadBytes) / 1e6,
      seconds_measured: steadySeconds,
      frames_recorded: events,
      hdf5_bytes: statSync(file).size,
      dropped,
      loop_p50_ms: delay.percentile(50) / 1e6,
      loop_p99_ms: delay.percentile(99) / 1e6,
      loop_max_ms: delay.max / 1e6,
    };
  } finally {
    await bt.stop();
  }
}

fake.start();
try {
  await sleep(1000);
  const theirs: Record<string, number>[] = [];
  const mine: Record<string, number>[] = [];
  for (let round = 0; round < rounds; round++) {
    theirs.push(await anchor());
    await sleep(500);
    mine.push(await ours());
    await sleep(500);
  }
  console.log(JSON.stringify({ anchor: theirs, ours: mine }));
} finally {
  await fake.kill();
}
