import type { LineConfig } from '../config/line-schema.ts';
import type { TimeInterval } from '../config/shift-times.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { currentShiftPeriod } from './current-shift.ts';
import type { DefectPareto } from './defect-pareto.ts';
import type { LineKpis } from './line-kpis.ts';
import { loadLineReport } from './line-report-data.ts';
import type { LineStore } from './store/line-store.ts';

/** A line's live KPIs over the current shift so far. */
export interface LineKpiUpdate {
  lineId: string;
  title: string;
  window: TimeInterval;
  kpis: LineKpis;
  pareto: DefectPareto;
}

/** Least time between two KPI updates of one line. */
export const KPI_UPDATE_MS = 1000;

/**
 * Recomputes a line's KPIs from the store after something happened on it, at most once per
 * KPI_UPDATE_MS: the first change starts the wait (so the write queue has stored the part),
 * later ones within it ride along. Nothing changes, nothing is computed.
 */
export class LineKpiPublisher {
  private readonly lines: ReadonlyMap<string, LineConfig>;
  private readonly store: LineStore;
  private readonly clock: Clock;
  private readonly publish: (update: LineKpiUpdate) => void;
  private readonly onError: (error: unknown) => void;
  private readonly timers = new Map<string, TimerHandle>();
  private readonly computing = new Map<string, Promise<void>>();
  /** Lines that changed while their KPIs were being computed. */
  private readonly dirty = new Set<string>();
  private stopped = false;

  constructor(options: {
    lines: readonly LineConfig[];
    store: LineStore;
    clock: Clock;
    publish: (update: LineKpiUpdate) => void;
    onError?: (error: unknown) => void;
  }) {
    this.lines = new Map(options.lines.map((l) => [l.id, l]));
    this.store = options.store;
    this.clock = options.clock;
    this.publish = options.publish;
    this.onError = options.onError ?? (() => {});
  }

  /** Something happened on the line (a part, a state change): an update follows within a second. */
  changed(lineId: string): void {
    if (this.stopped || this.timers.has(lineId) || !this.lines.has(lineId)) return;
    // Being computed: once it is published, wait a full period again.
    if (this.computing.has(lineId)) this.dirty.add(lineId);
    else this.schedule(lineId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await Promise.allSettled([...this.computing.values()]);
  }

  private schedule(lineId: string): void {
    this.timers.set(
      lineId,
      this.clock.setTimeout(() => {
        this.timers.delete(lineId);
        const p = this.update(lineId).finally(() => {
          this.computing.delete(lineId);
          if (this.dirty.delete(lineId) && !this.stopped) this.schedule(lineId);
        });
        this.computing.set(lineId, p);
      }, KPI_UPDATE_MS),
    );
  }

  private async update(lineId: string): Promise<void> {
    const line = this.lines.get(lineId)!;
    try {
      const report = await loadLineReport(this.store, line, currentShiftPeriod(line, this.clock.now()));
      if (this.stopped) return;
      this.publish({
        lineId,
        title: report.title,
        window: report.window,
        kpis: report.kpis,
        pareto: report.pareto,
      });
    } catch (error) {
      this.onError(error);
    }
  }
}
