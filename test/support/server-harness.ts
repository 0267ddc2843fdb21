import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBenchtopConfig } from '../../src/app/load-benchtop-config.ts';
import { EventBus } from '../../src/core/bus.ts';
import { systemClock } from '../../src/core/clock.ts';
import { BenchtopError } from '../../src/core/errors.ts';
import type { BenchtopEvents } from '../../src/core/events.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { SecurityStore } from '../../src/server/auth/security-store.ts';
import type { ServerContext } from '../../src/server/context.ts';
import { HealthService } from '../../src/server/health/health-service.ts';
import { BenchtopMetrics } from '../../src/server/metrics/benchtop-metrics.ts';
import { buildServer } from '../../src/server/server.ts';
import { fakeMotorLab } from './fake-motor.ts';

/** A server over one fake motor, for route tests with `inject()` or a real socket. */
export async function serverHarness(toml = '') {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-server-'));
  const { config } = loadBenchtopConfig({
    text: toml,
    flags: [{ path: ['storage', 'output_dir'], value: dir, source: 'test' }],
  });
  const bus = new EventBus<BenchtopEvents>();
  const lab = await fakeMotorLab(bus);
  const instruments = {
    list: () => [lab.instrument],
    get: (id: string) => {
      if (id !== 'motor') throw new BenchtopError('INSTRUMENT_NOT_FOUND', `no instrument "${id}"`);
      return lab.instrument;
    },
    restart: async (id: string) => {
      instruments.get(id);
      await lab.supervisor.restart(id);
    },
  };
  const metrics = new BenchtopMetrics({ bus, instruments, dataDir: dir });
  const health = new HealthService({
    clock: systemClock,
    instruments,
    dataDir: dir,
    minFreeBytes: 1,
    cacheMs: 0,
  });
  const security = SecurityStore.inOutputDir(dir);
  const ctx: ServerContext = {
    security,
    config,
    logger: silentLogger(),
    bus,
    clock: systemClock,
    instruments,
    metrics,
    health,
  };
  // Replies are checked against their response schemas: a route that drifts from them fails here.
  const { app, hub } = await buildServer(ctx, { checkReplies: true });
  return {
    ...lab,
    ctx,
    security,
    app,
    hub,
    bus,
    dir,
    async close() {
      await app.close();
      await lab.supervisor.stopAll();
      security.close();
    },
  };
}
