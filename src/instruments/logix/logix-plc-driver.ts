import { Type } from '@sinclair/typebox';
import type { Controller, Tag, TagGroup } from 'st-ethernet-ip';
import type { TimerHandle } from '../../core/clock.ts';
import type {
  CapabilityDescription,
  DriverContext,
  DriverIdentity,
  InstrumentDriver,
  SignalDef,
  SignalValue,
} from '../../core/device.ts';
import { action, type DriverActions } from '../../core/device-builder.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { DriverDeps } from '../kind.ts';
import { describeCipStatus } from './cip-message.ts';
import { CipTypeCodes, type CipValue, cipTypeLimits } from './cip-types.ts';
import type { LogixPlcConfig, LogixTagConfig } from './config.ts';
import {
  BIT_TYPES,
  checkedTagValues,
  type DiscoveredTag,
  describeListed,
  isBitTag,
  sameSignalValue,
  tagSignalValue,
} from './logix-tag-values.ts';

export type { DiscoveredTag } from './logix-tag-values.ts';

type StLibrary = typeof import('st-ethernet-ip');

interface ScannedTag {
  config: LogixTagConfig;
  /** The tag object in the scan group (never written: writes use their own objects). */
  tag: Tag;
  /** Why this tag cannot be read (unknown to the controller, or its type differs), if so. */
  problem: string | null;
}

/**
 * Allen-Bradley Logix controllers over EtherNet/IP, on st-ethernet-ip: every configured tag
 * is a signal with its CIP type, scanned as one tag group (Multiple Service Packets) every
 * `scan_ms` and published when it changes.
 *
 * One request at a time: st-ethernet-ip parses one encapsulation packet per socket `data`
 * event and its read, write and group queues run independently, so two of its requests in
 * flight can have their replies arrive in one event and one of them is lost. Every library
 * call therefore goes through `exclusive`.
 *
 * Its known failure (issues #56, #63): after its own automatic reconnect, or after a program
 * download drops the controller's CIP connections, requests time out until `connect()` runs
 * again. This driver never uses the library's reconnect (no ControllerManager): a request that
 * times out is answered by a fresh Controller (new TCP session, Forward Open, types read again)
 * in place; if that fails too, or the socket closes, the link is lost and the actor reconnects
 * with backoff, which marks every tag invalid and raises the one communication alarm.
 */
export class LogixPlcDriver implements InstrumentDriver {
  readonly type = 'LogixPlc';
  readonly signals: Record<string, SignalDef>;
  readonly actions: DriverActions;
  /** The configured tags as clients see them (the `points` capability). */
  readonly capabilities: readonly CapabilityDescription[];
  /** Fresh reconnects after timed-out requests (st-ethernet-ip #56/#63), for logs and tests. */
  recoveries = 0;
  private readonly id: string;
  private readonly config: LogixPlcConfig;
  private readonly host: string;
  private lib: StLibrary | null = null;
  private plc: Controller | null = null;
  private group: TagGroup | null = null;
  private scanned = new Map<string, ScannedTag>();
  private readonly last = new Map<string, SignalValue>();
  private discovered: DiscoveredTag[] = [];
  private ctx: DriverContext | null = null;
  private scanTimer: TimerHandle | null = null;
  private scanFailing = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;
  /** Counts connects and disconnects: a request of an earlier incarnation never touches a later one. */
  private incarnation = 0;

  constructor(id: string, config: LogixPlcConfig, deps: DriverDeps) {
    this.id = id;
    this.config = config;
    // In simulation the controller's simulator listens on a loopback address, always port 44818.
    this.host = deps.simulatorEndpoint?.kind === 'tcp' ? deps.simulatorEndpoint.host : this.config.host;
    this.signals = {};
    for (const tag of this.config.tags) this.signals[tag.name] = this.signalFor(tag);
    const listTags = action({
      description:
        'List the controller tags (Get Instance Attribute List 0x55 on symbol class 0x6B): name, CIP type, array dimensions',
      args: Type.Object({}, { additionalProperties: false }),
      run: async () => ({ tags: await this.exclusive(() => this.discover()) }),
    });
    this.actions = { list_tags: listTags };
    this.capabilities = [
      {
        kind: 'points',
        points: this.config.tags.map((t) => ({
          name: t.name,
          address: t.name,
          type: t.type,
          writable: t.writable === true,
        })),
      },
    ];
  }

  /** The tags the last listing found (at connect with `discover = true`, or by `list_tags`). */
  get discoveredTags(): readonly DiscoveredTag[] {
    return this.discovered;
  }

  async connect(ctx: DriverContext): Promise<DriverIdentity> {
    this.ctx = ctx;
    this.closing = false;
    this.incarnation++;
    // Every tag is published after a connect: the values marked invalid at the link loss become good again.
    this.last.clear();
    this.lib ??= await import('st-ethernet-ip');
    const plc = await this.openController();
    if (this.config.discover) this.discovered = describeListed(plc.tagList);
    const props = plc.properties;
    this.scheduleScan(0);
    return {
      model: props.name ?? 'Logix controller',
      ...(props.serial_number !== null && props.serial_number !== undefined
        ? { serial: props.serial_number.toString(16).padStart(8, '0') }
        : {}),
      ...(props.version ? { firmware: props.version } : {}),
      raw: `${this.host} slot ${this.config.slot}, ${this.config.connected ? 'connected' : 'unconnected'} messaging`,
    };
  }

  async disconnect(): Promise<void> {
    this.closing = true;
    this.incarnation++;
    this.scanTimer?.cancel();
    this.scanTimer = null;
    // Requests still waiting on this controller must not hold up the next incarnation's.
    const pending = this.queue;
    this.queue = Promise.resolve();
    const plc = this.plc;
    this.plc = null;
    this.group = null;
    if (!plc) return;
    // Forward Close after the request in flight (bounded by timeout_ms), never beside it: its
    // reply could share a data event with the other one and be lost.
    if (!plc.destroyed) await pending.catch(() => {});
    await this.closeController(plc);
  }

  private signalFor(config: LogixTagConfig): SignalDef {
    const limits = cipTypeLimits(config.type);
    const read = async () => this.exclusive(() => this.readOne(config));
    const def: SignalDef =
      config.elements === undefined
        ? {
            dtype: config.type === 'BOOL' ? 'boolean' : config.type === 'REAL' ? 'number' : 'integer',
            description: `${config.type} controller tag`,
            ...(limits ? { limits } : {}),
            ...(config.type !== 'REAL' && config.type !== 'BOOL' ? { precision: 0 } : {}),
            read,
          }
        : {
            dtype: 'array',
            shape: [config.elements],
            // Array elements are numbers: a BOOL array's are 0/1.
            element: config.type === 'REAL' ? 'number' : 'integer',
            // No element limits on the signal: the driver's own check names the element out of range.
            description: `${config.type}[${config.elements}] controller tag${limits ? ` (elements ${limits.min}..${limits.max})` : config.type === 'BOOL' ? ' (elements 0/1)' : ''}`,
            read,
          };
    if (config.writable) {
      def.write = async (value) => {
        const values = checkedTagValues(this.id, config, value);
        await this.exclusive(() => this.writeOne(config, values));
        return undefined;
      };
    }
    return def;
  }

  // --- Connecting ---

  /** A new Controller: session, Forward Open (when connected), identity, tag types read once. */
  private async openController(): Promise<Controller> {
    const { Controller: PlcController, Tag: PlcTag, TagGroup: PlcTagGroup } = this.lib!;
    const incarnation = this.incarnation;
    const plc = new PlcController(this.config.connected);
    plc.timeout_sp = this.config.timeout_ms;
    // Without an error listener a refused connection would be an uncaught 'error' event.
    plc.on('error', () => {});
    try {
      await plc.connect(this.host, this.config.slot, this.config.discover);
      if (!this.config.discover) await plc.readControllerProps();
    } catch (error) {
      await this.closeController(plc);
      throw this.libraryError(error, 'connect');
    }
    if (incarnation !== this.incarnation) {
      // Disconnected while this (re)connect was under way: it must not outlive the incarnation.
      await this.closeController(plc);
      throw new BenchtopError('LINK_LOST', `${this.id}: disconnected while connecting`);
    }
    plc.on('close', () => {
      if (this.plc === plc && !this.closing) {
        this.ctx?.linkLost(new BenchtopError('LINK_LOST', `${this.id}: ${this.host} closed the connection`));
      }
    });
    const group = new PlcTagGroup();
    this.scanned = new Map();
    for (const config of this.config.tags) {
      const tag = this.newTag(PlcTag, config);
      const entry: ScannedTag = { config, tag, problem: null };
      tag.on('Unknown', () => {
        entry.problem = `the controller has no tag ${config.name} (CIP status 0x04)`;
      });
      group.add(tag);
      this.scanned.set(config.name, entry);
    }
    this.plc = plc;
    this.group = group;
    // One group read resolves every tag's type, so writes never need a read first (pylogix #30).
    try {
      await plc.readTagGroup(group);
    } catch (error) {
      this.plc = null;
      await this.closeController(plc);
      throw this.libraryError(error, 'first scan');
    }
    for (const entry of this.scanned.values()) this.checkType(entry);
    return plc;
  }

  /**
   * A bit tag is created with its container's type code (learned by the first scan): the
   * library reads the container and picks the bit, and writes it with masks of that size.
   */
  private readonly bitContainers = new Map<string, number>();

  private newTag(PlcTag: StLibrary['Tag'], config: LogixTagConfig): Tag {
    if (isBitTag(config.name)) return new PlcTag(config.name, undefined, this.bitContainers.get(config.name));
    const code = CipTypeCodes[config.type];
    return config.elements === undefined
      ? new PlcTag(config.name, undefined, code)
      : new PlcTag(config.name, undefined, code, 0, 1, config.elements);
  }

  private checkType(entry: ScannedTag): void {
    if (entry.problem) {
      this.ctx?.log.error({ tag: entry.config.name }, `${this.id}: ${entry.problem}`);
      return;
    }
    const actual = entry.tag.type;
    if (isBitTag(entry.config.name) && entry.config.type === 'BOOL' && BIT_TYPES.includes(actual)) {
      this.bitContainers.set(entry.config.name, CipTypeCodes[actual as 'SINT' | 'INT' | 'DINT']);
      return;
    }
    if (actual !== entry.config.type) {
      entry.problem = `${entry.config.name} is ${actual} in the controller, configured as ${entry.config.type}`;
      this.ctx?.log.error({ tag: entry.config.name }, `${this.id}: ${entry.problem}`);
    }
  }

  private async closeController(plc: Controller): Promise<void> {
    plc.removeAllListeners('close');
    try {
      // Forward Close only over a live socket: on a dead one it would wait out timeout_ms.
      if (plc.established_conn && !plc.destroyed && plc.writable) await plc.disconnect();
      else plc.destroy();
    } catch {
      plc.destroy();
    }
  }

  /** Lists the controller's tags now (0x55, continued while the controller says 0x06). */
  private async discover(): Promise<DiscoveredTag[]> {
    const list = new this.lib!.TagList();
    await this.request('list tags', (plc) => plc.getControllerTagList(list));
    this.discovered = describeListed(list.tags);
    return this.discovered;
  }

  // --- Scanning, reading, writing ---

  private scheduleScan(delayMs: number): void {
    const ctx = this.ctx;
    if (!ctx || this.closing || ctx.lifetime.aborted || this.scanned.size === 0) return;
    this.scanTimer?.cancel();
    const incarnation = this.incarnation;
    this.scanTimer = ctx.clock.setTimeout(() => {
      this.scanTimer = null;
      if (incarnation === this.incarnation) this.scan(ctx, incarnation);
    }, delayMs);
  }

  private scan(ctx: DriverContext, incarnation: number): void {
    const started = ctx.clock.monotonic();
    this.exclusive(() => this.scanOnce())
      .then(() => {
        if (this.scanFailing) ctx.log.info(`${this.id}: tag scan works again`);
        this.scanFailing = false;
      })
      .catch((error) => {
        // Once per run of failures, not every scan_ms.
        if (!this.closing && !this.scanFailing) ctx.log.warn({ err: error }, `${this.id}: tag scan failed`);
        this.scanFailing = true;
      })
      .finally(() => {
        if (incarnation !== this.incarnation || this.closing || ctx.lifetime.aborted) return;
        // The period runs from scan start to scan start. A scan that took the whole period is
        // followed at once, without a timer (a 0 ms timer still waits about 1 ms); requests
        // queued meanwhile go first, since the next scan joins the queue behind them.
        const left = this.config.scan_ms - (ctx.clock.monotonic() - started);
        if (left > 0 || this.scanFailing) this.scheduleScan(Math.max(0, left));
        else this.scan(ctx, incarnation);
      });
  }

  private async scanOnce(): Promise<void> {
    await this.request('scan', (plc) => plc.readTagGroup(this.group!));
    for (const entry of this.scanned.values()) {
      if (entry.problem) continue;
      const value = tagSignalValue(entry.config, entry.tag.controller_value);
      if (value === undefined) continue;
      if (!sameSignalValue(this.last.get(entry.config.name), value)) {
        this.last.set(entry.config.name, value);
        this.ctx?.publish(entry.config.name, value);
      }
    }
  }

  private async readOne(config: LogixTagConfig): Promise<SignalValue> {
    const entry = this.scanned.get(config.name);
    if (entry?.problem)
      throw new BenchtopError('INSTRUMENT_ERROR', `${this.id}: ${entry.problem}`, { tag: config.name });
    const tag = this.newTag(this.lib!.Tag, config);
    await this.request(`read ${config.name}`, (plc) => plc.readTag(tag));
    const value = tagSignalValue(config, tag.controller_value);
    if (value === undefined) {
      throw new BenchtopError(
        'PROTOCOL_ERROR',
        `${this.id}: ${config.name} read returned no ${config.type} value`,
      );
    }
    this.last.set(config.name, value);
    return value;
  }

  private async writeOne(config: LogixTagConfig, values: CipValue[]): Promise<void> {
    const entry = this.scanned.get(config.name);
    if (entry?.problem)
      throw new BenchtopError('INSTRUMENT_ERROR', `${this.id}: ${entry.problem}`, { tag: config.name });
    const tag = this.newTag(this.lib!.Tag, config);
    // st-ethernet-ip sizes a write from the value already on the tag, so it is set first.
    tag.value = config.elements === undefined ? values[0] : values;
    await this.request(`write ${config.name}`, (plc) => plc.writeTag(tag));
  }

  // --- The one-request-at-a-time rule and failure handling ---

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private connected(): Controller {
    if (!this.plc) throw new BenchtopError('LINK_LOST', `${this.id}: not connected`);
    return this.plc;
  }

  /**
   * Runs one library request. A timeout (the #56/#63 symptom) gets one fresh reconnect in
   * place and the request again; a second failure means the controller is gone: the link is
   * lost. CIP errors (unknown tag, type mismatch) are the instrument's answer, not a link fault.
   */
  private async request(what: string, fn: (plc: Controller) => Promise<unknown>): Promise<void> {
    const incarnation = this.incarnation;
    try {
      await fn(this.connected());
      return;
    } catch (error) {
      if (!isTimeout(error) || this.closing || incarnation !== this.incarnation)
        throw this.libraryError(error, what);
      this.ctx?.log.warn(
        { err: error },
        `${this.id}: ${what} timed out; reconnecting from scratch (stale CIP connection, e.g. after a program download)`,
      );
    }
    const stale = this.plc;
    this.plc = null;
    if (stale) await this.closeController(stale);
    try {
      await this.openController();
    } catch (error) {
      const lost = this.libraryError(error, 'reconnect');
      const failure = new BenchtopError(
        'LINK_LOST',
        `${this.id}: no answer after reconnecting: ${lost.message}`,
        {},
        { cause: error },
      );
      this.ctx?.linkLost(failure);
      throw failure;
    }
    this.recoveries++;
    this.ctx?.log.info(`${this.id}: reconnected; tags re-resolved`);
    try {
      await fn(this.connected());
    } catch (error) {
      if (!isTimeout(error)) throw this.libraryError(error, what);
      throw new BenchtopError('INSTRUMENT_TIMEOUT', `${this.id}: ${what} timed out after reconnecting`);
    }
  }

  private libraryError(error: unknown, what: string): BenchtopError {
    if (error instanceof BenchtopError) return error;
    if (isCipError(error)) {
      const status = error.generalStatusCode;
      const extended = Array.isArray(error.extendedStatus) ? error.extendedStatus : [];
      return new BenchtopError(
        'INSTRUMENT_ERROR',
        `${this.id}: ${what}: ${describeCipStatus(status, extended)}`,
        {
          instrument: this.id,
          cipStatus: status,
          extendedStatus: extended,
        },
      );
    }
    if (isTimeout(error)) {
      return new BenchtopError(
        'INSTRUMENT_TIMEOUT',
        `${this.id}: ${what} timed out after ${this.config.timeout_ms} ms`,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return new BenchtopError(
      'LINK_LOST',
      `${this.id}: ${what}: ${message}`,
      { instrument: this.id },
      { cause: error },
    );
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && /TIMEOUT/.test(error.message);
}

function isCipError(error: unknown): error is { generalStatusCode: number; extendedStatus?: number[] } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { generalStatusCode?: unknown }).generalStatusCode === 'number'
  );
}
