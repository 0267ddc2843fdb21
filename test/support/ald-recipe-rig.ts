import { InstrumentManager } from '../../src/app/instrument-manager.ts';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { EventBus } from '../../src/core/bus.ts';
import { ManualClock } from '../../src/core/clock.ts';
import type { RunEvent } from '../../src/core/documents.ts';
import type { BenchtopEvents } from '../../src/core/events.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Supervisor } from '../../src/core/supervisor.ts';
import { builtinPlans, PlanRegistry } from '../../src/engine/plan-registry.ts';
import { createRecipePlan } from '../../src/engine/plans/recipe.ts';
import { ProcessMap, validRecipe } from '../../src/engine/recipes/recipe-check.ts';
import { parseRecipeText } from '../../src/engine/recipes/recipe-model.ts';
import { RunEngine } from '../../src/engine/run-engine.ts';
import type { RunWarning } from '../../src/engine/run-events.ts';
import { MemoryWriter, runClockUntil } from '../../src/engine/testing/fake-lab.ts';
import type { AldChamber } from '../../src/sim/ald-chamber.ts';
import { VirtualLab } from '../../src/sim/virtual-lab.ts';
import { RecipeStore } from '../../src/storage/recipes/recipe-store.ts';

/**
 * config/ald.toml's simulated ALD tool for recipe tests: the real ModbusPlc driver over TCP to
 * the simulator with the chamber physics, the real engine and the recipe plan, all on one
 * ManualClock (pulses, purges, actuation delays and the pressure's time constants are exact).
 * Every valve command the PLC receives is recorded in `commands`.
 */
export class AldRecipeRig {
  readonly clock = new ManualClock();
  readonly bus = new EventBus<BenchtopEvents>();
  readonly config = loadBenchtopConfig({
    file: new URL('../../config/ald.toml', import.meta.url).pathname,
    env: {},
  }).config;
  readonly lab = new VirtualLab({ clock: this.clock, seed: 1, beamWaistMm: 0.5, knifeEdgeMm: 0, warmupS: 0 });
  readonly store = new RecipeStore(':memory:');
  readonly map = new ProcessMap(this.config.process);
  /** Every valve command the PLC received: [ms, valve, open]. */
  readonly commands: [number, number, boolean][] = [];
  readonly warnings: RunWarning[] = [];
  manager!: InstrumentManager;
  supervisor!: Supervisor;
  engine!: RunEngine;
  chamber!: AldChamber;

  async start(): Promise<void> {
    const { clock, bus, config } = this;
    config.simulation.ports.plc = 0;
    this.supervisor = new Supervisor({
      clock,
      mailboxCapacity: 64,
      spawnTimeoutMs: 10_000,
      shutdownTimeoutMs: 5_000,
      policy: { maxRestarts: 10, windowMs: 60_000, initialBackoffMs: 200, maxBackoffMs: 1000, jitter: 0 },
      onStateChange: (c) => bus.emit('actor.state', c),
    });
    this.manager = new InstrumentManager({
      config,
      bus,
      supervisor: this.supervisor,
      clock,
      logger: silentLogger(),
      lab: this.lab,
    });
    const plans = new PlanRegistry([
      ...builtinPlans,
      createRecipePlan({
        recipes: this.store,
        process: config.process,
        devices: () => this.engine.devices(),
      }),
    ] as never);
    this.engine = new RunEngine({
      instruments: this.manager,
      bus,
      clock,
      writerFactory: (_start, report) => new MemoryWriter(report),
      plans,
      onInstrumentUnavailable: 'suspend',
    });
    bus.on('run.warning', (w) => this.warnings.push(w));
    await runClockUntil(clock, this.manager.startAll(), 10, 2000);
    const chamber = this.lab.aldChamber('plc');
    this.chamber = chamber;
    const setValve = chamber.setValve.bind(chamber);
    chamber.setValve = (valve, open) => {
      if (chamber.valveCommanded(valve) !== open) this.commands.push([clock.monotonic(), valve, open]);
      setValve(valve, open);
    };
  }

  async close(): Promise<void> {
    await this.engine.shutdown();
    await this.supervisor.stopAll();
    await this.manager.closeSimulators();
    this.store.close();
  }

  /** Checks a recipe's text against the tool as the API does, and stores it. */
  save(text: string) {
    return this.store.save(validRecipe(parseRecipeText(text), this.map, this.engine.devices()), 'test');
  }

  /** Submits a recipe run; `finished` drives the clock until it ends. */
  run(args: Record<string, unknown>) {
    const events: RunEvent[] = [];
    const descriptors = new Map<string, string>();
    const off = this.bus.on('run.document', ({ document }) => {
      if (document.name === 'descriptor') descriptors.set(document.doc.uid, document.doc.name);
      if (document.name === 'event') events.push(document.doc);
    });
    const { uid } = this.engine.submit('recipe', args);
    return {
      uid,
      events: (stream: string) => events.filter((e) => descriptors.get(e.descriptor) === stream),
      finished: runClockUntil(this.clock, this.engine.whenFinished(uid), 5, 80_000).finally(off),
    };
  }

  plcWrite(signal: string, value: boolean | number) {
    return runClockUntil(this.clock, this.manager.get('plc').write(signal, value, { wait: true }), 10, 1000);
  }

  wait(ms: number) {
    return runClockUntil(this.clock, new Promise((r) => this.clock.setTimeout(() => r(null), ms)), 10, ms);
  }

  /** Drives the clock until `check` holds (looked at every 5 ms of clock time). */
  until(check: () => boolean, maxMs = 5000): Promise<void> {
    const held = new Promise<void>((resolve) => {
      const watch = () => (check() ? resolve() : this.clock.setTimeout(watch, 5));
      watch();
    });
    return runClockUntil(this.clock, held, 5, maxMs / 5);
  }

  /** Back to base pressure (no N2 flow), as the shipped recipe's preconditions want it. */
  async toBase(): Promise<void> {
    await this.plcWrite('mfc1_setpoint', 0);
    await this.wait(3000);
  }
}
