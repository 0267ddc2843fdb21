/** A schema Benchtop migrates: where it lives, its version, and what has been applied. */
export interface SchemaStatus {
  backend: 'sqlite' | 'postgres' | 'timescaledb';
  version: number;
  latest: number;
  applied: { version: number; description: string; appliedAt: string }[];
}
