import type { BenchtopConfig } from '../../config/schema.ts';
import { SqliteTimeSeriesStore } from './sqlite-timeseries-store.ts';
import type { TimeSeriesStore } from './timeseries-store.ts';

/** PostgreSQL when `[storage.postgres] url` is set, else `<output_dir>/timeseries.sqlite`. */
export async function openTimeSeriesStore(storage: BenchtopConfig['storage']): Promise<TimeSeriesStore> {
  if (storage.postgres) {
    // pg is loaded only for a PostgreSQL store.
    const { PostgresTimeSeriesStore } = await import('./postgres-timeseries-store.ts');
    return PostgresTimeSeriesStore.connect({
      url: storage.postgres.url,
      timescaledb: storage.postgres.timescaledb,
      ...(storage.postgres.schema !== undefined ? { schema: storage.postgres.schema } : {}),
      ...(storage.postgres.table !== undefined ? { table: storage.postgres.table } : {}),
    });
  }
  return SqliteTimeSeriesStore.inOutputDir(storage.output_dir);
}
