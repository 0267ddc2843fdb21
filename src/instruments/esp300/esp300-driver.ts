import { Type } from '@sinclair/typebox';
import type { CapabilityDescription } from '../../core/capabilities.ts';
import {
  Completion,
  type DriverContext,
  type DriverIdentity,
  type InstrumentDriver,
  type SignalDef,
} from '../../core/device.ts';
import { action, type DriverActions, signal } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import { LineLink } from '../../transports/line-link.ts';
import type { OpenTransport } from '../link-endpoint.ts';
import type { Esp300Config } from './config.ts';
import { esp300ErrorMeaning } from './esp300-errors.ts';
import type { Esp300Unit } from './esp300-protocol.ts';
import {
  Esp300Command as cmd,
  commandList,
  esp300Framing,
  isEsp300Notice,
  parseErrorCode,
  parseFlag,
  parseIdentity,
  parseNumber,
  parseUnits,
} from './esp300-protocol.ts';

/** At most this many `TE?` reads per check, so a controller stuck reporting errors cannot wedge the actor. */
const maxErrorReads = 10;
/** How often a waiting move asks `MD?`. */
const motionPollMs = 50;
/** Smallest velocity the 6-decimal wire format can express; the controller needs v > 0. */
const minVelocity = 1e-6;

/**
 * Newport ESP300 motion controller (RS-232, a serial device server, or its simulator).
 *
 * At connect it identifies itself (`VE?`), empties the error queue of whatever an earlier
 * session left, sets each axis's units (`SN`) and software limits (`SL`/`SR`) from the
 * configuration so the controller enforces the travel range too, and reads the maximum
 * velocity (`VU?`) as the velocity limit. Setters answer nothing, so every write and action
 * is followed by `TE?` until it reads 0: a refused command becomes INSTRUMENT_ERROR with the
 * controller's code and meaning. Moves return a Completion that polls `MD?` and, once motion
 * is done, reads the error queue again, so a move that ended on a fault is reported.
 */
export class Esp300Driver implements InstrumentDriver {
  readonly type = 'ESP300';
  readonly signals: Record<string, SignalDef> = {};
  readonly actions: DriverActions = {};
  readonly capabilities: readonly CapabilityDescription[];
  private readonly id: string;
  private readonly config: Esp300Config;
  private readonly openTransport: OpenTransport;
  private readonly axisNumbers: number[];
  /**
   * Units and travel per axis: what the config names until connect, then what the controller
   * reports (SN?, SL?, SR?), so the lab's own settings are used and never overwritten.
   */
  private readonly travel = new Map<number, { unit?: Esp300Unit; min?: number; max?: number }>();
  /** `VA` per axis as last read or written: sizes how long a move may take. */
  private readonly velocities = new Map<number, number>();
  private link: LineLink | null = null;

  /** `openTransport` gives the link at each connect (the kind decides where it goes). */
  constructor(id: string, config: Esp300Config, openTransport: OpenTransport) {
    this.openTransport = openTransport;
    if (
      config.travel_min !== undefined &&
      config.travel_max !== undefined &&
      config.travel_min >= config.travel_max
    ) {
      throw new BenchtopError(
        'CONFIG_INVALID',
        `${id}: travel_min (${config.travel_min}) must be below travel_max (${config.travel_max})`,
        { instrument: id, travel_min: config.travel_min, travel_max: config.travel_max },
      );
    }
    this.id = id;
    this.config = config;
    this.axisNumbers = Array.from({ length: config.axes }, (_, i) => i + 1);
    for (const n of this.axisNumbers) {
      this.defineAxis(n);
      this.applyTravel(n, { unit: config.units, min: config.travel_min, max: config.travel_max });
    }
    this.capabilities = this.axisNumbers.map((n) => ({
      kind: 'motor',
      name: `axis${n}`,
      signals: { position: `axis${n}.position`, moving: `axis${n}.moving` },
      actions: { stop: `axis${n}.stop`, home: `axis${n}.home` },
    }));
    this.actions.stop_all = action({
      description: 'Stops every axis (ST); completes when all are at rest',
      args: Type.Object({}),
      completes: true,
      run: async () => {
        await this.send(cmd.stopAll());
        return this.restCompletion(this.axisNumbers, 'stop all axes');
      },
    });
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    const link = new LineLink(this.openTransport(), {
      ...esp300Framing,
      timeoutMs: this.config.timeout_ms,
      clock: ctx.clock,
      isUnsolicited: isEsp300Notice,
    });
    this.link = link;
    link.onLost((error) => ctx.linkLost(error));
    await link.open(ctx.lifetime);
    const identity = parseIdentity(await link.query(cmd.version()));
    const stale = await this.readErrors();
    if (stale.length > 0) {
      ctx.log.warn(
        { instrumentCodes: stale },
        `errors left in the queue before connect: ${stale.map(describeCode).join('; ')}`,
      );
    }
    const { units, travel_min, travel_max } = this.config;
    for (const n of this.axisNumbers) {
      // Only what the config names is written: units and limits the lab set stay as they are.
      const setup = [
        ...(units !== undefined ? [cmd.setUnits(n, units)] : []),
        ...(travel_min !== undefined ? [cmd.setLeftLimit(n, travel_min)] : []),
        ...(travel_max !== undefined ? [cmd.setRightLimit(n, travel_max)] : []),
      ];
      if (setup.length > 0) await this.send(commandList(setup));
      this.applyTravel(n, {
        unit: parseUnits(cmd.units(n), await link.query(cmd.units(n))),
        min: parseNumber(cmd.leftLimit(n), await link.query(cmd.leftLimit(n))),
        max: parseNumber(cmd.rightLimit(n), await link.query(cmd.rightLimit(n))),
      });
      const maxVelocity = parseNumber(cmd.maxVelocity(n), await link.query(cmd.maxVelocity(n)));
      this.velocitySignal(n).limits = { min: minVelocity, max: maxVelocity };
      this.velocities.set(n, await this.readVelocity(n));
    }
    return identity;
  }

  async disconnect(): Promise<void> {
    const link = this.link;
    this.link = null;
    await link?.close().catch(() => {});
  }

  /** The axis's units and travel range, on its signals and actions. */
  private applyTravel(n: number, travel: { unit?: Esp300Unit; min?: number; max?: number }): void {
    this.travel.set(n, travel);
    const { unit, min, max } = travel;
    const axis = `axis${n}`;
    const precision = unit === 'counts' || unit === 'steps' ? 0 : 4;
    const position = this.signals[`${axis}.position`]!;
    position.unit = unit;
    position.precision = precision;
    position.limits =
      min === undefined && max === undefined
        ? undefined
        : { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
    const velocity = this.velocitySignal(n);
    velocity.unit = unit === undefined ? undefined : `${unit}/s`;
    velocity.precision = precision;
    const desired = this.signals[`${axis}.desired`]!;
    desired.unit = unit;
    desired.precision = precision;
    // A relative move may span the range at most; the schema is what the API and forms check.
    const delta = this.actions[`${axis}.move_relative`]!.args.properties.delta!;
    if (min !== undefined && max !== undefined) {
      delta.minimum = -(max - min);
      delta.maximum = max - min;
    } else {
      delete delta.minimum;
      delete delta.maximum;
    }
    delta.description = `Distance to move${unit ? `, ${unit}` : ''}`;
  }

  /** The travel range's length: how far a move or homing may go (0 while it is unknown). */
  private span(n: number): number {
    const { min, max } = this.travel.get(n) ?? {};
    return min !== undefined && max !== undefined ? max - min : 0;
  }

  private unit(n: number): string {
    return this.travel.get(n)?.unit ?? '';
  }

  private defineAxis(n: number): void {
    const axis = `axis${n}`;

    this.signals[`${axis}.position`] = signal<number>({
      dtype: 'number',
      monitored: true,
      completes: true,
      description: `Axis ${n} actual position (TP); writing moves there (PA) and completes when motion is done`,
      read: () => this.readPosition(n),
      write: async (target) => {
        await this.send(cmd.moveAbsolute(n, target));
        return this.motionCompletion(n, `${axis} move to ${target} ${this.unit(n)}`, this.span(n));
      },
    });
    this.signals[`${axis}.velocity`] = signal<number>({
      dtype: 'number',
      limits: { min: minVelocity },
      description: `Axis ${n} move velocity (VA); 0 < v <= the controller's maximum (VU?, read at connect)`,
      read: () => this.readVelocity(n),
      write: async (value) => {
        await this.send(cmd.setVelocity(n, value));
        this.velocities.set(n, value);
        return undefined;
      },
    });
    this.signals[`${axis}.moving`] = signal<boolean>({
      dtype: 'boolean',
      monitored: true,
      description: `Axis ${n} in motion (MD? reports 0)`,
      read: async () => !(await this.motionDone(n)),
    });
    this.signals[`${axis}.desired`] = signal<number>({
      dtype: 'number',
      description: `Axis ${n} target of the current or last move (DP?)`,
      read: async () => parseNumber(cmd.desiredPosition(n), await this.query(cmd.desiredPosition(n))),
    });
    this.signals[`${axis}.motor_on`] = signal<boolean>({
      dtype: 'boolean',
      description: `Axis ${n} motor power (MO / MF / MO?); moves need it on`,
      read: async () => parseFlag(cmd.motorState(n), await this.query(cmd.motorState(n))),
      write: async (value) => {
        await this.send(value ? cmd.motorOn(n) : cmd.motorOff(n));
        return undefined;
      },
    });

    this.actions[`${axis}.move_relative`] = action({
      description: `Moves axis ${n} by delta (PR); refused before sending if it would leave the travel range (the controller's SL..SR); completes when motion is done`,
      args: Type.Object({ delta: Type.Number({ description: 'Distance to move' }) }),
      completes: true,
      run: async (args) => {
        const here = await this.readPosition(n);
        const target = here + args.delta;
        const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = this.travel.get(n) ?? {};
        const unit = this.unit(n);
        if (target < min || target > max) {
          throw new BenchtopError(
            'VALUE_OUT_OF_RANGE',
            `${this.id}.${axis}.move_relative: ${here} ${args.delta >= 0 ? '+' : '-'} ${Math.abs(args.delta)} = ${target} ${unit} is outside the travel range ${min}..${max} ${unit}`,
            {
              instrument: this.id,
              action: `${axis}.move_relative`,
              position: here,
              delta: args.delta,
              target,
              min,
              max,
              unit,
            },
          );
        }
        await this.send(cmd.moveRelative(n, args.delta));
        return this.motionCompletion(
          n,
          `${axis} move by ${args.delta} ${this.unit(n)}`,
          Math.abs(args.delta),
        );
      },
    });
    this.actions[`${axis}.home`] = action({
      description: `Homes axis ${n} (OR, the controller's configured search mode); completes when homing is done`,
      args: Type.Object({}),
      completes: true,
      run: async () => {
        await this.send(cmd.home(n));
        return this.motionCompletion(n, `${axis} home`, this.span(n));
      },
    });
    this.actions[`${axis}.stop`] = action({
      description: `Stops axis ${n} (ST); completes when it is at rest`,
      args: Type.Object({}),
      completes: true,
      run: async () => {
        await this.send(cmd.stop(n));
        return this.restCompletion([n], `${axis} stop`);
      },
    });
  }

  private velocitySignal(n: number): SignalDef {
    return this.signals[`axis${n}.velocity`]!;
  }

  private requireLink(): LineLink {
    if (!this.link)
      throw new BenchtopError('LINK_LOST', `${this.id}: not connected`, { instrument: this.id });
    return this.link;
  }

  private query(command: string): Promise<string> {
    return this.requireLink().query(command);
  }

  /** Sends a setter (no reply) and reports anything it put in the error queue. */
  private async send(command: string): Promise<void> {
    await this.requireLink().write(command);
    await this.throwIfErrors(command);
  }

  private async readErrors(): Promise<number[]> {
    const codes: number[] = [];
    for (let i = 0; i < maxErrorReads; i++) {
      const code = parseErrorCode(await this.query(cmd.errorCode()));
      if (code === 0) break;
      codes.push(code);
    }
    return codes;
  }

  private async throwIfErrors(after: string): Promise<void> {
    const codes = await this.readErrors();
    if (codes.length === 0) return;
    const [first, ...more] = codes as [number, ...number[]];
    throw new BenchtopError(
      'INSTRUMENT_ERROR',
      `${this.id}: ${describeCode(first)} (after "${after}")${more.length > 0 ? `; also ${more.map(describeCode).join('; ')}` : ''}`,
      {
        instrument: this.id,
        instrumentCode: first,
        meaning: esp300ErrorMeaning(first),
        command: after,
        errors: codes.map((code) => ({ code, meaning: esp300ErrorMeaning(code) })),
      },
    );
  }

  private async readPosition(n: number): Promise<number> {
    return parseNumber(cmd.position(n), await this.query(cmd.position(n)));
  }

  private async readVelocity(n: number): Promise<number> {
    const velocity = parseNumber(cmd.velocity(n), await this.query(cmd.velocity(n)));
    this.velocities.set(n, velocity);
    return velocity;
  }

  private async motionDone(n: number): Promise<boolean> {
    return parseFlag(cmd.motionDone(n), await this.query(cmd.motionDone(n)));
  }

  /**
   * Done when `MD?` says so; then the error queue is read, so a move the controller ended
   * on a fault (stage unplugged, limit) fails instead of completing quietly. Allowed time:
   * `distance` at the known velocity, half again, plus two reply timeouts for the stops.
   */
  private motionCompletion(n: number, what: string, distance: number): Completion {
    const velocity = this.velocities.get(n) ?? minVelocity;
    return new Completion({
      what,
      pollMs: motionPollMs,
      timeoutMs: Math.ceil((1500 * distance) / velocity) + 2 * this.config.timeout_ms,
      isDone: async () => {
        if (!(await this.motionDone(n))) return false;
        await this.throwIfErrors(what);
        return true;
      },
    });
  }

  /** After a stop: done when every listed axis reports motion done. */
  private restCompletion(axes: number[], what: string): Completion {
    return new Completion({
      what,
      pollMs: motionPollMs,
      timeoutMs: 2 * this.config.timeout_ms,
      isDone: async () => {
        for (const n of axes) if (!(await this.motionDone(n))) return false;
        return true;
      },
    });
  }
}

function describeCode(code: number): string {
  return `${code} ${esp300ErrorMeaning(code)}`;
}
