/**
 * Benchmark `logix`, the simulated controller in its own process (so its CPU is not the
 * client's): the vision line's PLC with 200 extra tags `Bench.Tag000`…`Bench.Tag199`
 * (DINT and REAL, alternating), each changed on every read so a scanning driver publishes
 * every tag every scan. Port 44818 (the clients' fixed port) on the given loopback address.
 *
 *   node bench/children/logix-tag-simulator.ts HOST
 *
 * Prints {"host", "tags"} once listening; runs until SIGTERM.
 */
import { systemClock } from '../../src/core/clock.ts';
import { LINE_PLC_IDENTITY } from '../../src/instruments/logix/line-plc-simulator.ts';
import { LogixController } from '../../src/instruments/logix/logix-controller.ts';
import { lineTagDatabase } from '../../src/instruments/logix/logix-line-program.ts';
import { LogixSimServer } from '../../src/instruments/logix/logix-sim-server.ts';
import { ProductionLine } from '../../src/sim/production-line.ts';

export const BENCH_TAG_COUNT = 200;

export function benchTagName(i: number): string {
  return `Bench.Tag${String(i).padStart(3, '0')}`;
}

export function benchTagType(i: number): 'DINT' | 'REAL' {
  return i % 2 === 0 ? 'DINT' : 'REAL';
}

if (import.meta.main) {
  const host = process.argv[2] ?? '127.0.0.1';
  const line = new ProductionLine({ clock: systemClock });
  const db = lineTagDatabase(line);
  let reads = 0;
  for (let i = 0; i < BENCH_TAG_COUNT; i++) {
    const name = benchTagName(i);
    const type = benchTagType(i);
    db.define({ name, type });
    db.onBeforeRead(name, () => {
      reads++;
      db.set(name, type === 'DINT' ? reads % 1_000_000 : (reads % 100_000) / 8);
    });
  }
  const server = new LogixSimServer(
    new LogixController(db, { identity: LINE_PLC_IDENTITY, slot: 0 }),
    systemClock,
    {},
  );
  const bound = await server.listen(44818, host);
  console.log(JSON.stringify({ host: bound.host, tags: BENCH_TAG_COUNT }));
  process.once('SIGTERM', () => {
    line.dispose();
    void server.close().then(() => process.exit(0));
  });
}
