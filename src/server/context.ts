import type { BenchtopConfig } from '../config/schema.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { Instrument } from '../core/instrument.ts';
import type { LogRing } from '../core/log-ring.ts';
import type { Logger } from '../core/logger.ts';
import type { RunEngine } from '../engine/run-engine.ts';
import type { RunCatalog } from '../storage/catalog/run-catalog.ts';
import type { TimeSeriesStore } from '../storage/timeseries/timeseries-store.ts';
import type { AlarmService } from './alarms/alarm-service.ts';
import type { SecurityStore } from './auth/security-store.ts';
import type { HealthService } from './health/health-service.ts';
import type { BenchtopMetrics } from './metrics/benchtop-metrics.ts';
import type { ProductionContext } from './routes/line-routes.ts';

/** The instruments as the server sees them (the InstrumentManager, or a test double of it). */
export interface InstrumentDirectory {
  list(): Instrument[];
  get(id: string): Instrument;
}

/**
 * What the HTTP/WebSocket layer needs from the rest of Benchtop. Route plugins take only
 * this, so they are tested with `inject()` against any lab, real or fake.
 */
export interface ServerContext {
  config: BenchtopConfig;
  logger: Logger;
  bus: EventBus<BenchtopEvents>;
  clock: Clock;
  instruments: InstrumentDirectory;
  metrics: BenchtopMetrics;
  health: HealthService;
  security: SecurityStore;
  alarms?: AlarmService;
  /** Production lines and their store (/api/v1/lines). */
  production?: ProductionContext;
  engine?: RunEngine;
  catalog?: RunCatalog;
  timeseries?: TimeSeriesStore;
  /** Recent log records for the System page. */
  logRing?: LogRing;
  /** Epoch ms the process started serving. */
  startedAt?: number;
}
