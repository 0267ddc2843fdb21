import { Type } from '@sinclair/typebox';
import type {
  CallContext,
  DriverContext,
  DriverIdentity,
  InstrumentDriver,
  SignalDef,
} from '../../core/device.ts';
import type { DriverActions } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { Endpoint } from '../../transports/endpoint.ts';
import { openByteTransport } from '../../transports/open-transport.ts';
import type { DriverDeps } from '../kind.ts';
import { type CvxTrigger, CvxTriggers, type KeyenceCvxConfig } from './config.ts';
import {
  type CvxField,
  type CvxSdCard,
  CvxCommand as cmd,
  parseMode,
  parseProgram,
  parseResult,
} from './cvx-protocol.ts';
import { type CvxResultLine, CvxSession } from './cvx-session.ts';

/** Signals every CV-X has; configured outputs may not take these names. */
const fixedSignals = ['mode', 'program', 'program_sd', 'result', 'last_trigger_ms'] as const;

const noArgs = Type.Object({}, { additionalProperties: false });

/** The last result line, as parsed. */
interface LastResult {
  raw: string;
  values: number[];
  fields: Map<string, number>;
}

/**
 * Keyence CV-X vision controller over its non-procedural command port (TCP 8500).
 *
 * `mode`, `program` and `program_sd` are read from the controller (`RM`, `PR`) and written
 * with `R0`/`S0` and `PW,d,nnn`. The `trigger` action sends the configured trigger and waits
 * for the result line that follows the echo; that line is parsed through the `outputs` map
 * into one reading per field, plus `result` (the whole line) and `last_trigger_ms`. A result
 * line that arrives without our trigger (an I/O trigger from the PLC) is published the same way.
 * Refusals (`ER,<cmd>,<nn>`) are INSTRUMENT_ERROR naming the command; an echo without a result
 * within `timeout_ms` is VISION_TIMEOUT. Neither ends the connection: the link is fine.
 */
export class KeyenceCvxDriver implements InstrumentDriver {
  readonly type = 'KeyenceCvx';
  readonly signals: Record<string, SignalDef> = {};
  readonly actions: DriverActions = {};
  private readonly id: string;
  private readonly config: KeyenceCvxConfig;
  private readonly deps: DriverDeps;
  private session: CvxSession | null = null;
  private last: LastResult | null = null;
  private lastTriggerMs: number | null = null;

  constructor(id: string, config: KeyenceCvxConfig, deps: DriverDeps) {
    this.id = id;
    this.config = config;
    this.deps = deps;
    checkOutputs(id, config);
    this.defineFixedSignals();
    for (const output of config.outputs) {
      const tool = output.tool ? ` (tool: ${output.tool})` : '';
      this.signals[output.name] = {
        dtype: output.kind === 'judgement' ? 'integer' : 'number',
        ...(output.unit ? { unit: output.unit } : {}),
        description:
          output.kind === 'judgement'
            ? `Field ${output.index} of the last result line: judgement, 0 = OK, anything else NG${tool}`
            : `Field ${output.index} of the last result line: ${output.kind}${tool}`,
        read: async () => this.lastField(output.name),
      };
    }
    this.actions.trigger = {
      description: `Triggers an inspection (${config.trigger}, or the given trigger) and returns its result line, parsed by the outputs map; VISION_TIMEOUT if no result comes within ${config.timeout_ms} ms`,
      args: Type.Object(
        {
          trigger: Type.Optional(
            Type.Union(
              CvxTriggers.map((t) => Type.Literal(t)),
              { description: 'TA all cameras, T1..T4 one camera' },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      run: (args: { trigger?: CvxTrigger }, ctx: CallContext) =>
        this.trigger(args.trigger ?? config.trigger, ctx),
    };
    this.actions.reset = {
      description: 'Reset (RS): abandons the inspection in progress; run mode only',
      args: noArgs,
      run: async () => {
        await this.connected().command(cmd.reset());
        return undefined;
      },
    };
    this.actions.clear_error = {
      description: "Clear error (CE): clears the controller's error state",
      args: noArgs,
      run: async () => {
        await this.connected().command(cmd.clearError());
        return undefined;
      },
    };
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    const endpoint: Endpoint = this.deps.simulatorEndpoint ?? {
      kind: 'tcp',
      host: this.config.host,
      port: this.config.port,
    };
    const session = new CvxSession(
      openByteTransport(endpoint, { connectTimeoutMs: this.config.timeout_ms }),
      {
        instrument: this.id,
        timeoutMs: this.config.timeout_ms,
        clock: ctx.clock,
      },
    );
    this.session = session;
    // Results from before this connection are not this connection's to vouch for.
    this.last = null;
    this.lastTriggerMs = null;
    session.onLost((error) => ctx.linkLost(error));
    session.onUnclaimedResult((line, { late }) => {
      if (late)
        ctx.log.warn({ result: line.raw }, `${this.id}: a result line came after its trigger timed out`);
      try {
        this.publishResult(line, ctx);
      } catch (error) {
        ctx.log.warn({ err: error, result: line.raw }, `${this.id}: result line not published`);
      }
    });
    try {
      await session.open(ctx.lifetime);
      const mode = parseMode(this.id, (await session.command(cmd.readMode())).join(','));
      const { sd, program } = parseProgram(this.id, (await session.command(cmd.readProgram())).join(','));
      ctx.publish('mode', mode);
      ctx.publish('program', program);
      ctx.publish('program_sd', sd);
      return {
        model: 'Keyence CV-X',
        raw: `${session.address}: ${mode} mode, SD${sd} program ${String(program).padStart(3, '0')}`,
      };
    } catch (error) {
      this.session = null;
      await session.close().catch(() => {});
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    const session = this.session;
    this.session = null;
    await session?.close().catch(() => {});
  }

  private defineFixedSignals(): void {
    this.signals.mode = {
      dtype: 'enum',
      choices: ['run', 'setup'],
      monitored: true,
      description:
        'Operating mode (RM); writing switches it (run: R0, setup: S0). Setup mode refuses triggers',
      read: () => this.readMode(),
      write: async (value) => {
        await this.connected().command(value === 'run' ? cmd.toRunMode() : cmd.toSetupMode());
        return undefined;
      },
    };
    this.signals.program = {
      dtype: 'integer',
      limits: { min: 0, max: 999 },
      monitored: true,
      description:
        'Current program number (PR); writing switches program on the same SD card (PW,d,nnn; run mode only)',
      read: async (ctx) => {
        const { sd, program } = await this.readProgram();
        ctx.publish('program_sd', sd);
        return program;
      },
      write: async (value) => {
        const { sd } = await this.readProgram();
        await this.connected().command(cmd.writeProgram(sd, value as number));
        return undefined;
      },
    };
    this.signals.program_sd = {
      dtype: 'integer',
      limits: { min: 1, max: 2 },
      description:
        'SD card of the current program (PR); writing loads the same program number from the other card (PW,d,nnn)',
      read: async (ctx) => {
        const { sd, program } = await this.readProgram();
        ctx.publish('program', program);
        return sd;
      },
      write: async (value) => {
        const { program } = await this.readProgram();
        await this.connected().command(cmd.writeProgram(value as CvxSdCard, program));
        return undefined;
      },
    };
    // The outputs map says how long the line is; a program whose line differs is still published whole.
    const fieldCount = Math.max(0, ...this.config.outputs.map((o) => o.index + 1));
    this.signals.result = {
      dtype: 'array',
      shape: [fieldCount],
      element: 'number',
      description: `The whole last result line, its fields as numbers in the order sent (${fieldCount} by the outputs map)`,
      read: async () => this.requireLast().values,
    };
    this.signals.last_trigger_ms = {
      dtype: 'number',
      unit: 'ms',
      precision: 1,
      description: 'Time from sending the last trigger to receiving its result line',
      read: async () => {
        if (this.lastTriggerMs === null) throw this.noResult('last_trigger_ms');
        return this.lastTriggerMs;
      },
    };
  }

  private async trigger(which: CvxTrigger, ctx: CallContext) {
    const outcome = await this.connected().trigger(which, this.config.timeout_ms);
    this.lastTriggerMs = outcome.elapsedMs;
    ctx.publish('last_trigger_ms', outcome.elapsedMs);
    const fields = this.publishResult(outcome.line, ctx);
    return {
      trigger: which,
      elapsed_ms: outcome.elapsedMs,
      result: outcome.line.raw,
      fields: Object.fromEntries(fields.map((f) => [f.name, f.value])),
    };
  }

  /** Publishes `result`, then each mapped field; a line that does not fit the map still updates `result`. */
  private publishResult(line: CvxResultLine, ctx: DriverContext): CvxField[] {
    const values = line.fields.map(Number);
    this.last = { raw: line.raw, values, fields: new Map() };
    ctx.publish('result', values);
    const fields = parseResult(this.id, line.fields, this.config.outputs);
    for (const f of fields) {
      this.last.fields.set(f.name, f.value);
      ctx.publish(f.name, f.value);
    }
    return fields;
  }

  private async readMode() {
    return parseMode(this.id, (await this.connected().command(cmd.readMode())).join(','));
  }

  private async readProgram() {
    return parseProgram(this.id, (await this.connected().command(cmd.readProgram())).join(','));
  }

  private connected(): CvxSession {
    if (!this.session)
      throw new BenchtopError('LINK_LOST', `${this.id}: not connected`, { instrument: this.id });
    return this.session;
  }

  private requireLast(): LastResult {
    if (!this.last) throw this.noResult('result');
    return this.last;
  }

  private lastField(name: string): number {
    const value = this.requireLast().fields.get(name);
    if (value === undefined) throw this.noResult(name);
    return value;
  }

  private noResult(signal: string): BenchtopError {
    return new BenchtopError(
      'NOT_FOUND',
      `${this.id}.${signal}: no result since connecting; trigger an inspection first`,
      { instrument: this.id, signal },
    );
  }
}

/** Output names must be unique and not shadow a fixed signal; indexes must be unique. */
function checkOutputs(id: string, config: KeyenceCvxConfig): void {
  const names = new Set<string>();
  const indexes = new Set<number>();
  for (const [i, output] of config.outputs.entries()) {
    const problem = (fixedSignals as readonly string[]).includes(output.name)
      ? `"${output.name}" is one of the fixed signals (${fixedSignals.join(', ')})`
      : names.has(output.name)
        ? `name "${output.name}" is used twice`
        : indexes.has(output.index)
          ? `index ${output.index} is used twice`
          : null;
    if (problem)
      throw new BenchtopError('CONFIG_INVALID', `${id}: outputs[${i}]: ${problem}`, {
        instrument: id,
        output: i,
      });
    names.add(output.name);
    indexes.add(output.index);
  }
}
