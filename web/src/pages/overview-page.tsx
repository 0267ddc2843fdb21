import { useEffect, useState } from 'react';
import { ApiError, authHeaders, getJson } from '../api/http.ts';
import { isNumeric, loadAllInstruments } from '../api/instruments.ts';
import type {
  ActorStateMessage,
  AlarmSnapshot,
  HealthReport,
  InstrumentDetail,
  SignalDescription,
} from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { HostLabel } from '../components/host-label.tsx';
import { LiveValue } from '../components/live-value.tsx';
import { HealthBadge, StateBadge } from '../components/state-badge.tsx';
import { useAsync, useInterval, useStreamMessages } from '../hooks.ts';
import { Link } from '../router.tsx';

/** Live values shown on a card: the monitored signals, numbers first. */
function keySignals(detail: InstrumentDetail): SignalDescription[] {
  const monitored = detail.signals.filter((s) => s.readable && s.monitored);
  return [...monitored.filter(isNumeric), ...monitored.filter((s) => !isNumeric(s))].slice(0, 6);
}

export async function loadHealth(): Promise<HealthReport> {
  let response: Response;
  let body: unknown;
  try {
    // /health's details need a viewer when authentication is required.
    response = await fetch('/health', { headers: authHeaders() });
    body = await response.json();
  } catch {
    throw new ApiError('NETWORK', 'cannot reach the Benchtop server', 0);
  }
  // An unhealthy server answers 503 with the report; anything else (a server shutting down) is an error.
  const report = body as Partial<HealthReport> & { error?: { code?: string; message?: string } };
  if (typeof report.status === 'string' && Array.isArray(report.checks)) return report as HealthReport;
  throw new ApiError(
    report.error?.code ?? 'HTTP_ERROR',
    report.error?.message ?? `HTTP ${response.status}`,
    response.status,
  );
}

/** Every instrument as a card (state, last error, key live values), health and alarms at a glance. */
export function OverviewPage() {
  const instruments = useAsync((signal) => loadAllInstruments(signal), []);
  const [states, setStates] = useState<Record<string, Pick<ActorStateMessage, 'state' | 'error'>>>({});
  const health = useAsync(() => loadHealth(), []);
  const alarms = useAsync(() => getJson<{ alarms: AlarmSnapshot[] }>('/api/v1/alarms?state=active'), []);

  useEffect(() => {
    if (instruments.data) setStates({});
  }, [instruments.data]);
  useStreamMessages('states', 'actor.state', (m) => {
    const msg = m as unknown as ActorStateMessage;
    setStates((s) => ({ ...s, [msg.id]: { state: msg.state, ...(msg.error ? { error: msg.error } : {}) } }));
    health.reload();
  });
  useStreamMessages('alarms', 'alarm.changed', () => alarms.reload());
  useInterval(() => health.reload(), 10_000);

  const active = alarms.data?.alarms.filter((a) => a.active) ?? [];
  const unacked = alarms.data?.alarms.filter((a) => !a.acknowledged) ?? [];

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div className="summary-row">
        <div className="card summary">
          <h2>Health</h2>
          {health.data ? (
            <>
              <HealthBadge status={health.data.status} label="Overall health" />
              <ul className="checks">
                {health.data.checks.map((c) => (
                  <li key={c.name}>
                    <span className={`dot health-${c.status}`} aria-hidden="true" /> {c.name}: {c.status}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p>{health.error ? 'health unavailable' : 'checking…'}</p>
          )}
        </div>
        <div className="card summary">
          <h2>Alarms</h2>
          <p>
            <Link to="/alarms">
              <strong>{active.length}</strong> active, <strong>{unacked.length}</strong> unacknowledged
            </Link>
          </p>
          {active.slice(0, 3).map((a) => (
            <p key={a.id} className={`alarm-line severity-${a.severity}`}>
              {a.id}: {a.condition}
            </p>
          ))}
        </div>
      </div>
      <ErrorText error={instruments.error} />
      <div className="card-grid">
        {(instruments.data ?? []).map((detail) => {
          const live = states[detail.id];
          const state = live?.state ?? detail.state;
          const error = live
            ? (live.error ?? (state === 'ready' ? null : detail.lastError))
            : detail.lastError;
          return (
            <article
              key={detail.id}
              className={`card instrument-card state-${state}`}
              aria-labelledby={`card-${detail.id}`}
            >
              <header>
                <h2 id={`card-${detail.id}`}>
                  <Link to={`/instruments/${encodeURIComponent(detail.id)}`}>{detail.id}</Link>
                </h2>
                <HostLabel id={detail.id} host={detail.host} />
                <StateBadge state={state} label={`${detail.id} state`} />
              </header>
              <p className="muted">
                {detail.type}
                {detail.identity?.model ? ` · ${detail.identity.model}` : ''}
              </p>
              {error ? (
                <p className="error-text">
                  Last error: {error.message} <span className="code">[{error.code}]</span>
                </p>
              ) : null}
              <dl className="values">
                {keySignals(detail).map((s) => (
                  <div key={s.name}>
                    <dt>{s.name}</dt>
                    <dd>
                      <LiveValue
                        signal={`${detail.id}.${s.name}`}
                        {...(s.precision !== undefined ? { precision: s.precision } : {})}
                        {...(s.unit ? { unit: s.unit } : {})}
                      />
                    </dd>
                  </div>
                ))}
              </dl>
            </article>
          );
        })}
      </div>
    </section>
  );
}
