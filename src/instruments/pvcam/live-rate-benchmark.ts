/**
 * Measures the simulated camera in live mode on real time: frames delivered per second, frames
 * lost to overrun and the main event loop's delay while frames stream (perf_hooks histogram).
 *
 *   node src/instruments/pvcam/live-rate-benchmark.ts [seconds=10] [speed_index=0] [binning=1]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EventBus } from '../../core/bus.ts';
import { sleep, systemClock } from '../../core/clock.ts';
import type { CallContext } from '../../core/device.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import { VirtualLab } from '../../sim/virtual-lab.ts';
import { typedConfig } from '../kind.ts';
import { PvcamConfig } from './config.ts';
import { PvcamDriver } from './pvcam-driver.ts';

const seconds = Number(process.argv[2] ?? 10);
const speedIndex = Number(process.argv[3] ?? 0);
const binning = Number(process.argv[4] ?? 1);

const lab = new VirtualLab({ clock: systemClock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: -10, warmupS: 0 });
lab.laser.emission = true;
lab.laser.setShutter(true);
await sleep(systemClock, 1_000);

const bus = new EventBus<BenchtopEvents>();
let onBus = 0;
bus.on('camera.frame', () => {
  onBus++;
});
const log = silentLogger();
const driver = new PvcamDriver(
  'camera',
  typedConfig('PVCAMInstrument', PvcamConfig, 'camera', {
    camera_name: 'PrimeBSI',
    backend: 'simulated',
    exposure_ms: 1,
    speed_index: speedIndex,
    gain_index: 1,
  }),
  { clock: systemClock, log, bus },
);
const lifetime = new AbortController();
const ctx: CallContext = {
  id: 'camera',
  clock: systemClock,
  log,
  lifetime: lifetime.signal,
  signal: new AbortController().signal,
  linkLost: (error) => {
    throw error;
  },
  publish: () => {},
};
await driver.connect(ctx);
const write = (signal: string, value: number) => driver.signals[signal]!.write!(value, ctx);
const read = (signal: string) => driver.signals[signal]!.read!(ctx);
// Every action run here takes no arguments, which is what an empty object is.
const run = (action: string) => driver.actions[action]!.run({} as never, ctx);
await write('binning', binning);

const idle = monitorEventLoopDelay({ resolution: 1 });
idle.enable();
await sleep(systemClock, 2_000);
idle.disable();

const streaming = monitorEventLoopDelay({ resolution: 1 });
const cpuBefore = process.cpuUsage();
const started = performance.now();
await run('start_live');
streaming.enable();
await sleep(systemClock, seconds * 1000);
streaming.disable();
const rate = (await read('frame_rate')) as number;
const allowed = (await read('frame_rate_max')) as number;
const summary = (await run('stop')) as { framesAcquired: number; framesDropped: number };
const elapsedS = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
await driver.disconnect();

const ms = (ns: number) => (ns / 1e6).toFixed(2);
console.log(
  JSON.stringify(
    {
      frame: `${2048 / binning}x${2048 / binning}`,
      speedIndex,
      seconds: Number(elapsedS.toFixed(2)),
      allowedFps: Number(allowed.toFixed(2)),
      deliveredFps: Number((summary.framesAcquired / elapsedS).toFixed(2)),
      frameRateSignal: Number(rate.toFixed(2)),
      framesAcquired: summary.framesAcquired,
      framesDropped: summary.framesDropped,
      framesOnBus: onBus,
      processCpuPercent: Number((((cpu.user + cpu.system) / 1e6 / elapsedS) * 100).toFixed(1)),
      eventLoopDelayMs: {
        idle: { p50: ms(idle.percentile(50)), p99: ms(idle.percentile(99)), max: ms(idle.max) },
        streaming: {
          p50: ms(streaming.percentile(50)),
          p99: ms(streaming.percentile(99)),
          max: ms(streaming.max),
        },
      },
    },
    null,
    2,
  ),
);
