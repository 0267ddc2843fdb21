import type { Readable } from 'node:stream';
import type { AlarmService } from '../alarms/alarm-service.ts';
import type { BenchtopConfig } from '../config/schema.ts';
import type { EventBus } from '../core/bus.ts';
import type { Clock } from '../core/clock.ts';
import type { BenchtopEvents } from '../core/events.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { LogRing } from '../core/log-ring.ts';
import type { Logger } from '../core/logger.ts';
import type { RunEngine } from '../engine/run-engine.ts';
import type { RunCatalog } from '../storage/catalog/run-catalog.ts';
import type { RecipeStore } from '../storage/recipes/recipe-store.ts';
import type { TimeSeriesStore } from '../storage/timeseries/timeseries-store.ts';
import type { SecurityStore } from './auth/security-store.ts';
import type { HealthService } from './health/health-service.ts';
import type { BenchtopMetrics } from './metrics/benchtop-metrics.ts';
import type { LineControlContext } from './routes/line-control-routes.ts';
import type { ProductionContext } from './routes/line-routes.ts';

/** Run files that are not in output_dir (camera frames kept on an agent's host), served on request. */
export interface RemoteRunFiles {
  owns(file: string): boolean;
  open(file: string): Promise<{ size: number; stream: Readable }>;
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
  production?: ProductionContext & Partial<LineControlContext>;
  engine?: RunEngine;
  catalog?: RunCatalog;
  timeseries?: TimeSeriesStore;
  /** Versioned process recipes (/api/v1/recipes). */
  recipes?: RecipeStore;
  /** Recent log records for the System page. */
  logRing?: LogRing;
  /** A hub's run files on agents (src/distributed): downloaded through the run's file route. */
  remoteFiles?: RemoteRunFiles;
  /** Epoch ms the process started serving. */
  startedAt?: number;
}
