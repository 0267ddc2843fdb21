import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../core/logger.ts';
import { runDoctor } from './doctor.ts';
import { loadBenchtopConfig } from './load-benchtop-config.ts';

describe('benchtop doctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'benchtop-doctor-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const aldFile = new URL('../../config/ald.toml', import.meta.url).pathname;

  it('passes config/ald.toml in simulation: directories, databases, the PLC, the [process] map and its recipe file', async () => {
    const loaded = loadBenchtopConfig({ file: aldFile, env: {} });
    loaded.config.storage.output_dir = join(dir, 'sim-data');
    loaded.config.backup.dir = join(dir, 'sim-backups');
    const checks = await runDoctor(loaded, silentLogger(), 10_000);
    assert.deepEqual(
      checks.filter((c) => !c.ok),
      [],
    );
    const names = checks.map((c) => c.name);
    assert.ok(names.includes('instrument plc (ModbusPlc)'));
    assert.ok(names.includes('recipe file recipes/tma-h2o-20.toml'));
    assert.ok(names.includes('[process] map'));
  });

  it('names an instrument that does not answer and says how to fix it', async () => {
    const loaded = loadBenchtopConfig({ file: aldFile, env: {} });
    loaded.config.simulation.enabled = false;
    const plc = loaded.config.instruments[0]!.config as { host: string; port: number; timeout_ms: number };
    plc.host = '127.0.0.1';
    plc.port = 1; // nothing listens there
    plc.timeout_ms = 200;
    loaded.config.storage.output_dir = join(dir, 'real-data');
    loaded.config.backup.dir = join(dir, 'real-backups');
    const checks = await runDoctor(loaded, silentLogger(), 1000);
    const failed = checks.filter((c) => !c.ok);
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.equal(failed[0]!.name, 'instrument plc (ModbusPlc)');
    assert.match(failed[0]!.message, /ECONNREFUSED/);
    assert.match(failed[0]!.fix ?? '', /reachable/);
  });
});
