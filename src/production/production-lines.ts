import type { LineConfig } from '../config/line-schema.ts';
import type { BenchtopConfig } from '../config/schema.ts';
import type { Clock } from '../core/clock.ts';
import { type BenchtopError, toBenchtopError } from '../core/errors.ts';
import { AgeRetention } from '../storage/age-retention.ts';
import { LineControl } from './line-control.ts';
import type { LineAlarmSink, LinePlc, StationVision } from './line-interfaces.ts';
import { type LineHealth, LineTracker, type LineTrackerOptions } from './line-tracker.ts';
import type { LineStore } from './store/line-store.ts';
import { LineWriteQueue } from './store/line-write-queue.ts';
import { openLineStore } from './store/open-line-store.ts';

export interface ProductionAdapters {
  /** The LinePlc over the PLC instrument with this id (an adapter over its driver). */
  plc(instrumentId: string): LinePlc;
  /** The StationVision over the camera instrument with this id, for one station. */
  vision(instrumentId: string, stationId: string): StationVision;
}

export interface ProductionLinesOptions {
  clock: Clock;
  adapters: ProductionAdapters;
  /** Where each line's own alarms go (the alarm service through lineAlarmSink). */
  alarmsFor?: (lineId: string) => LineAlarmSink;
  /** The store to use instead of the configured one (tests). */
  store?: LineStore;
  /** Records the write queue holds at most while the store is slow or down. */
  queueCapacity?: number;
  onError?: (error: BenchtopError) => void;
  onTracked?: LineTrackerOptions['onTracked'];
  onLineEvent?: LineTrackerOptions['onLineEvent'];
}

/**
 * Every configured line, assembled: one store, one bounded write queue, a tracker per line and
 * the retention sweep. The application builds this once with adapters over its PLC and camera
 * drivers; `context` is what the /api/v1/lines routes and metrics take.
 */
export class ProductionLines {
  readonly lines: readonly LineConfig[];
  readonly store: LineStore;
  readonly queue: LineWriteQueue;
  readonly trackers: readonly LineTracker[];
  private readonly controls = new Map<string, LineControl>();
  private readonly retention: AgeRetention;

  static async open(
    config: Pick<BenchtopConfig, 'lines' | 'storage' | 'retention'>,
    options: ProductionLinesOptions,
  ): Promise<ProductionLines> {
    const store = options.store ?? (await openLineStore(config));
    return new ProductionLines(config, store, options);
  }

  private constructor(
    config: Pick<BenchtopConfig, 'lines' | 'retention'>,
    store: LineStore,
    options: ProductionLinesOptions,
  ) {
    this.lines = config.lines;
    this.store = store;
    const trackers: LineTracker[] = [];
    this.queue = new LineWriteQueue({
      store,
      clock: options.clock,
      capacity: options.queueCapacity ?? 100_000,
      ...(options.onError ? { onWriteError: options.onError } : {}),
      onBacklog: (state, n) => {
        for (const t of trackers) t.storageBacklog(state, n);
      },
    });
    for (const line of config.lines) {
      const plc = options.adapters.plc(line.plc);
      this.controls.set(
        line.id,
        new LineControl({
          line,
          plc,
          clock: options.clock,
          ...(options.onError ? { onError: (e) => options.onError?.(toBenchtopError(e)) } : {}),
        }),
      );
      trackers.push(
        new LineTracker({
          line,
          plc,
          vision: Object.fromEntries(
            line.stations.map((s) => [s.id, options.adapters.vision(s.vision, s.id)]),
          ),
          store,
          queue: this.queue,
          clock: options.clock,
          ...(options.alarmsFor ? { alarms: options.alarmsFor(line.id) } : {}),
          ...(options.onError ? { onError: options.onError } : {}),
          ...(options.onTracked ? { onTracked: options.onTracked } : {}),
          ...(options.onLineEvent ? { onLineEvent: options.onLineEvent } : {}),
        }),
      );
    }
    this.trackers = trackers;
    this.retention = new AgeRetention({
      clock: options.clock,
      store,
      days: config.retention.production_days,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  /** For the routes: the lines, the store they read, and each line's run/stop/reset/e-stop. */
  get context(): {
    lines: readonly LineConfig[];
    store: LineStore;
    control: (lineId: string) => LineControl | undefined;
    health: (lineId: string) => LineHealth | undefined;
  } {
    return {
      lines: this.lines,
      store: this.store,
      control: (id) => this.controls.get(id),
      health: (id) => this.tracker(id)?.health(),
    };
  }

  tracker(lineId: string): LineTracker | undefined {
    return this.trackers.find((t) => t.health().lineId === lineId);
  }

  async start(): Promise<void> {
    for (const t of this.trackers) await t.start();
    this.retention.start();
  }

  /** Stops tracking, writes what is queued, closes the store. */
  async stop(): Promise<void> {
    await Promise.all(this.trackers.map((t) => t.stop()));
    await this.retention.stop();
    await this.queue.close();
    await this.store.close();
  }
}
