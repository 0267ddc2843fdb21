import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serverHarness } from './support/server-harness.ts';

const root = join(import.meta.dirname, '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const hasPyYaml = spawnSync('/usr/bin/python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/** Parses YAML with Debian's python3-yaml (no YAML library in the project). */
function yaml(path: string): unknown {
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(root, path)],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Every benchtop_* metric a PromQL text refers to, with histogram/counter suffixes resolved. */
function metricNames(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/\bbenchtop_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
  );
}

async function exportedMetrics(): Promise<Set<string>> {
  const h = await serverHarness();
  try {
    h.ctx.metrics.attachAlarms({
      list: () => [],
      rates: () => ({ floodActivations: 0, flood: false, chattering: [] }),
    });
    h.ctx.metrics.attachLines([]);
    const text = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    return new Set([...text.matchAll(/^# TYPE (benchtop_[a-z0-9_]+) /gm)].map((m) => m[1]!));
  } finally {
    await h.close();
  }
}

describe('deploy files', () => {
  it('the systemd unit runs benchtop as its own user and restarts on failure', () => {
    const unit = read('deploy/benchtop.service');
    for (const line of [
      'User=benchtop',
      'Restart=on-failure',
      'KillSignal=SIGTERM',
      'UMask=0077',
      // --expose-gc: the one collection after start-up (src/app/startup-memory.ts) needs it.
      'ExecStart=/opt/benchtop/node_modules/.bin/node --expose-gc /opt/benchtop/src/cli/main.ts start --config',
    ]) {
      assert.ok(unit.includes(line), line);
    }
  });

  it('the Dockerfile is multi-stage, runs as a non-root user and checks /health/basic', () => {
    const docker = read('Dockerfile');
    assert.ok((docker.match(/^FROM .* AS \w+$/gm) ?? []).length >= 2, 'two named stages');
    assert.match(docker, /^USER benchtop$/m);
    assert.match(docker, /^HEALTHCHECK .*\n.*\/health\/basic/m);
  });

  it('every metric the alert rules and the Grafana dashboard use is exported', async () => {
    const exported = await exportedMetrics();
    const used = new Set([
      ...metricNames(read('deploy/prometheus/alerts.yml')),
      ...metricNames(read('deploy/grafana/benchtop.json')),
    ]);
    assert.ok(used.size > 10);
    const missing = [...used].filter((m) => !exported.has(m));
    assert.deepEqual(missing, []);
  });

  it('the alert rules cover instrument down, logging late, disk low and storage dropping', () => {
    const alerts = read('deploy/prometheus/alerts.yml');
    for (const name of [
      'BenchtopInstrumentDown',
      'BenchtopParameterLoggingLate',
      'BenchtopDiskLow',
      'BenchtopStorageDropping',
    ]) {
      assert.match(alerts, new RegExp(`alert: ${name}\\b`));
    }
    assert.match(alerts, /benchtop_parameter_log_lateness_last_seconds > 3/);
  });

  it('the Grafana dashboard is valid JSON with panels', () => {
    const dash = JSON.parse(read('deploy/grafana/benchtop.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    assert.ok(dash.panels.length >= 10);
  });

  it(
    'compose and Prometheus files are valid YAML with the expected services',
    {
      skip: !hasPyYaml && 'python3-yaml not installed',
    },
    () => {
      const compose = yaml('deploy/docker-compose.yml') as { services: Record<string, unknown> };
      assert.deepEqual(Object.keys(compose.services).sort(), [
        'benchtop',
        'grafana',
        'postgres',
        'prometheus',
      ]);
      const rules = yaml('deploy/prometheus/alerts.yml') as {
        groups: { rules: { alert: string; expr: string }[] }[];
      };
      assert.ok(rules.groups[0]!.rules.every((r) => r.alert && r.expr));
      yaml('deploy/prometheus/prometheus.yml');
    },
  );
});
