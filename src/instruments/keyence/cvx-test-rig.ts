import type { ActorStateChange } from '../../core/actor-state.ts';
import { EventBus } from '../../core/bus.ts';
import { systemClock } from '../../core/clock.ts';
import type { BenchtopEvents } from '../../core/events.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Reading } from '../../core/reading.ts';
import { spawnInstrument } from '../../core/testing/instrument-harness.ts';
import type { LineProtocol, LineSimulatorServer } from '../../sim/line-simulator-server.ts';
import { LineSimulatorServer as Server } from '../../sim/line-simulator-server.ts';
import type { SimRig } from '../testing/sim-rig.ts';
import { type CvxSimOptions, CvxSimProtocol, defaultProgramTable } from './cvx-sim-protocol.ts';
import { keyenceCvxKind } from './kind.ts';

/** The outputs map of SD1 program 000 in the default program table. */
export const rigOutputs = [
  { index: 0, name: 'total', kind: 'judgement' },
  { index: 1, name: 'scratch_score', kind: 'score', tool: 'scratch' },
  { index: 2, name: 'dent_score', kind: 'score', tool: 'dent' },
  { index: 5, name: 'defect_x', kind: 'x', unit: 'px' },
  { index: 6, name: 'defect_y', kind: 'y', unit: 'px' },
];

export interface CvxRigOptions {
  config?: Record<string, unknown>;
  sim?: Partial<Omit<CvxSimOptions, 'clock'>>;
  /** Answers some lines differently from the simulator (a controller whose firmware lacks a command). */
  override?: (line: string) => string | undefined;
}

/**
 * The CV-X as Benchtop runs it, for tests: its simulator (instant inspections unless the test
 * sets a program's processing time) on an ephemeral port, the driver in a supervised actor
 * behind the Instrument facade. Shaped as a SimRig, so the shared fault drills apply.
 */
export async function startCvxRig(options: CvxRigOptions = {}) {
  const protocol = new CvxSimProtocol({
    clock: systemClock,
    programs: defaultProgramTable(0),
    ...options.sim,
  });
  /** Every line the simulator handled, in order. */
  const wire: string[] = [];
  const hosted: LineProtocol = {
    handle: (line, session) => {
      wire.push(line);
      return options.override?.(line) ?? protocol.handle(line, session);
    },
  };
  const makeServer = (): LineSimulatorServer =>
    new Server('KeyenceCvx', hosted, { readTerminator: '\r|\n', replyTerminator: '\r' });
  let server = makeServer();
  const { port } = await server.listen(0, '127.0.0.1');
  const bus = new EventBus<BenchtopEvents>();
  const states: ActorStateChange[] = [];
  const readings: Reading[] = [];
  bus.on('actor.state', (c) => states.push(c));
  bus.on('instrument.reading', (r) => readings.push(r));
  const config = { host: '127.0.0.1', port, timeout_ms: 1000, outputs: rigOutputs, ...options.config };
  const driver = keyenceCvxKind.createDriver('vision', config, { clock: systemClock, log: silentLogger() });
  const { instrument, stop } = await spawnInstrument({ id: 'vision', driver, bus, askTimeoutMs: 5_000 });
  const rig = {
    protocol,
    wire,
    instrument,
    bus,
    server,
    port,
    states,
    readings,
    nextState: (state: ActorStateChange['state']) => bus.once('actor.state', (c) => c.state === state),
    /** The last reading of `signal` published. */
    last: (signal: string) => readings.filter((r) => r.signal === signal).at(-1),
    async stopSimulator() {
      await rig.server.close();
    },
    async startSimulator() {
      server = makeServer();
      rig.server = server;
      await server.listen(port, '127.0.0.1');
    },
    async close() {
      await stop();
      await rig.server.close();
    },
  } satisfies SimRig & Record<string, unknown>;
  if (instrument.state !== 'ready') {
    await rig.close();
    throw new Error(`vision did not start: ${instrument.state}`);
  }
  return rig;
}

export type CvxRig = Awaited<ReturnType<typeof startCvxRig>>;
