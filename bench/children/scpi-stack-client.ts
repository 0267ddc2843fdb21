/**
 * Benchmark 1, Benchtop's side: SCPI queries through the whole stack a user's read goes
 * through (Instrument facade → actor mailbox → ScpiDriver → TCP → simulator), built by the
 * same InstrumentManager `benchtop start` uses, from a config pointing at the simulator.
 *
 *   node bench/children/scpi-stack-client.ts PORT QUERIES WARMUP
 *   node bench/children/scpi-stack-client.ts PORT serve WARMUP     (timed blocks on request)
 *
 * Prints {"queries_per_s", "n", "seconds"}.
 */
import { stringify } from 'smol-toml';
import { InstrumentManager } from '../../src/app/instrument-manager.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { EventBus } from '../../src/core/bus.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { BenchtopEvents } from '../../src/core/events.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Supervisor } from '../../src/core/supervisor.ts';
import { serveQueryBlocks } from './query-blocks.ts';

const [port, queries, warmup] = process.argv.slice(2).map(Number) as [number, number, number];
/** `serve` instead of QUERIES: timed blocks on request (serveQueryBlocks). */
const serving = process.argv[3] === 'serve';
const { config } = loadBenchtopConfig({
  text: stringify({
    instruments: [
      {
        id: 'dmm',
        type: 'ScpiInstrument',
        poll_interval_ms: 0,
        config: {
          resource: `TCPIP0::127.0.0.1::${port}::SOCKET`,
          signals: [{ name: 'voltage', query: 'MEAS:VOLT:DC?', unit: 'V' }],
        },
      },
    ],
  }),
});
const bus = new EventBus<BenchtopEvents>();
const { actors } = config;
const supervisor = new Supervisor({
  clock: systemClock,
  mailboxCapacity: actors.default_mailbox_capacity,
  spawnTimeoutMs: actors.spawn_timeout_ms,
  shutdownTimeoutMs: actors.shutdown_timeout_ms,
  onStateChange: (change) => bus.emit('actor.state', change),
});
const instruments = new InstrumentManager({
  config,
  bus,
  supervisor,
  clock: systemClock,
  logger: silentLogger(),
});
await instruments.startAll();
const dmm = instruments.get('dmm');
if (dmm.state !== 'ready')
  throw new Error(`dmm is ${dmm.state}, not ready: ${JSON.stringify(dmm.status().lastError)}`);

for (let i = 0; i < warmup; i++) await dmm.read('voltage');
if (serving) await serveQueryBlocks(() => dmm.read('voltage'));
else {
  const started = performance.now();
  for (let i = 0; i < queries; i++) await dmm.read('voltage');
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ client: 'benchtop', n: queries, seconds, queries_per_s: queries / seconds }));
}
await supervisor.stopAll();
