import { type ReactNode, useEffect, useState } from 'react';
import { ApiError, getJson, getText } from '../api/http.ts';
import { parsePrometheus, type Sample, total } from '../api/prometheus.ts';
import type { LogRecord, SystemInfo } from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { HealthBadge } from '../components/state-badge.tsx';
import { useAsync, useCan, useInterval, useStreamMessages } from '../hooks.ts';
import { formatBytes, formatDuration, formatNumber, formatTime } from '../live/format.ts';
import { loadHealth } from './overview-page.tsx';

const MAX_LOG_LINES = 200;

function Fact(props: { label: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

/** Health checks, key metrics, recent log lines, the redacted configuration (admins) and versions. */
export function SystemPage() {
  const system = useAsync(() => getJson<SystemInfo>('/api/v1/system'), []);
  const health = useAsync(() => loadHealth(), []);
  const metrics = useAsync(async () => parsePrometheus(await getText('/metrics')), []);
  useInterval(() => {
    system.reload();
    health.reload();
    metrics.reload();
  }, 5000);

  return (
    <section aria-labelledby="system-title">
      <h1 id="system-title">System</h1>
      <div className="summary-row">
        <div className="card">
          <h2>Version</h2>
          <ErrorText error={system.error} />
          {system.data ? (
            <dl className="facts">
              <Fact label="Name">{system.data.name}</Fact>
              {Object.entries(system.data.versions).map(([k, v]) => (
                <Fact key={k} label={k}>
                  {v}
                </Fact>
              ))}
              <Fact label="Started">{formatTime(system.data.started_at)}</Fact>
              <Fact label="Uptime">{formatDuration(system.data.uptime_s)}</Fact>
              <Fact label="Memory">
                {formatBytes(system.data.memory.rss)} resident, {formatBytes(system.data.memory.heap_used)}{' '}
                heap
              </Fact>
              <Fact label="Storage">
                {system.data.storage.backend} in {system.data.storage.output_dir}
              </Fact>
              <Fact label="Simulation">{system.data.simulation ? 'on' : 'off'}</Fact>
              <Fact label="Authentication">{system.data.auth}</Fact>
            </dl>
          ) : null}
        </div>
        <div className="card">
          <h2>Key metrics</h2>
          {metrics.error ? <p className="muted">Metrics unavailable: {metrics.error.message}</p> : null}
          {metrics.data ? <KeyMetrics samples={metrics.data} /> : null}
        </div>
      </div>
      <div className="card">
        <h2>
          Health {health.data ? <HealthBadge status={health.data.status} label="Overall health" /> : null}
        </h2>
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Status</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {(health.data?.checks ?? []).map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>
                    <span className={`badge health-${c.status}`}>{c.status}</span>
                  </td>
                  <td>
                    <code className="details">{JSON.stringify(c.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <RecentLogs />
      <ConfigView />
    </section>
  );
}

function KeyMetrics({ samples }: { samples: Sample[] }) {
  const rows: [string, string][] = [];
  const add = (label: string, name: string, format: (v: number) => string = formatNumber) => {
    const v = total(samples, name);
    if (v !== null) rows.push([label, format(v)]);
  };
  add('Data points', 'benchtop_data_points_total');
  add('Active instruments', 'benchtop_active_instruments');
  add('WebSocket clients', 'benchtop_websocket_clients');
  add('Runs', 'benchtop_runs_total');
  add('Active alarms', 'benchtop_alarms_active');
  add('Unacknowledged alarms', 'benchtop_alarms_unacknowledged');
  add(
    'Parameter log lateness',
    'benchtop_parameter_log_lateness_last_seconds',
    (v) => `${formatNumber(v * 1000)} ms`,
  );
  add(
    'Event loop lag p99',
    'benchtop_nodejs_eventloop_lag_p99_seconds',
    (v) => `${formatNumber(v * 1000)} ms`,
  );
  add('Resident memory', 'benchtop_process_resident_memory_bytes', formatBytes);
  add('Disk free', 'benchtop_disk_free_bytes', formatBytes);
  return (
    <dl className="facts">
      {rows.map(([label, value]) => (
        <Fact key={label} label={label}>
          {value}
        </Fact>
      ))}
    </dl>
  );
}

function RecentLogs() {
  const canRead = useCan('operator');
  const [lines, setLines] = useState<LogRecord[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!canRead) return;
    getJson<LogRecord[]>('/api/v1/logs?limit=100').then(
      (records) => setLines((live) => [...records, ...live].slice(-MAX_LOG_LINES)),
      setError,
    );
  }, [canRead]);
  useStreamMessages('logs', 'log.record', (m) => {
    if (!canRead) return;
    const { type: _type, ...record } = m;
    setLines((old) => [...old, record as unknown as LogRecord].slice(-MAX_LOG_LINES));
  });
  return (
    <div className="card">
      <h2>Recent log lines</h2>
      {canRead ? null : <p className="muted">Log lines need the operator role.</p>}
      <ErrorText error={error} />
      <ol className="log-lines" aria-label="Recent log lines">
        {lines
          .slice()
          .reverse()
          .map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: log records have no id
            <li key={i} className={`log-${l.level}`}>
              <time>{formatTime(l.time)}</time> <span className="level">{String(l.level)}</span>{' '}
              {typeof l['instrument.id'] === 'string' ? (
                <span className="muted">[{l['instrument.id']}] </span>
              ) : null}
              {l.msg}
            </li>
          ))}
      </ol>
    </div>
  );
}

function ConfigView() {
  const isAdmin = useCan('admin');
  const config = useAsync(
    () =>
      isAdmin
        ? getJson<unknown>('/api/v1/config')
        : Promise.reject(new ApiError('FORBIDDEN', 'admin only', 403)),
    [isAdmin],
  );
  return (
    <div className="card">
      <h2>Configuration</h2>
      {isAdmin ? (
        <>
          <p className="muted">Effective configuration; secrets are redacted by the server.</p>
          <ErrorText error={config.error} />
          {config.data ? <pre className="config">{JSON.stringify(config.data, null, 2)}</pre> : null}
        </>
      ) : (
        <p className="muted">The configuration is shown to administrators.</p>
      )}
    </div>
  );
}
