import { useState } from 'react';
import { getJson, query, sendJson } from '../api/http.ts';
import { ErrorText } from '../components/error-text.tsx';
import { useAsync, useCan, useStreamMessages } from '../hooks.ts';

interface LineStatus {
  line: string;
  state: string | null;
  parts: number;
  recent_parts: number;
  defect_rate: number;
  plc_connected: boolean | null;
  commands: string[];
}

interface Kpis {
  availability: number;
  performance: number;
  quality: number;
  oee: number;
  produced: number;
  throughputPerHour: number;
  targetPerHour: number;
}

interface ParetoBar {
  key: string;
  count: number;
  percent: number;
  cumulativePercent: number;
}

interface KpiView {
  kpis: Kpis;
  pareto: { byClass: ParetoBar[] };
}

interface Defect {
  id: string;
  partId: string;
  station: string;
  class: string;
  confidence: number;
  box: { x: number; y: number } | null;
  disposition: string;
}

/** The guide's OEE target. */
const OEE_TARGET = 0.85;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * A production line: its state with run/stop/reset/emergency stop (by role), OEE and its three
 * factors against the 85 % target, throughput against target, the quality of the last 100 parts,
 * the defect Pareto and the pending defects to disposition. Live from the stream's `lines` channel.
 */
export function LinePage() {
  const lines = useAsync((signal) => getJson<{ lines: { id: string }[] }>('/api/v1/lines', signal), []);
  const id = lines.data?.lines[0]?.id;
  const [status, setStatus] = useState<LineStatus | null>(null);
  const [view, setView] = useState<KpiView | null>(null);
  const [defects, setDefects] = useState<Defect[]>([]);
  const [error, setError] = useState<unknown>(null);
  const canRun = useCan('operator');
  const canSupervise = useCan('supervisor');

  const refresh = async (lineId: string, signal?: AbortSignal) => {
    const base = `/api/v1/lines/${encodeURIComponent(lineId)}`;
    const [s, d] = await Promise.all([
      getJson<LineStatus>(`${base}/status`, signal),
      getJson<{ defects: Defect[] }>(
        `${base}/defects${query({ disposition: 'pending', limit: 20 })}`,
        signal,
      ),
    ]);
    setStatus(s);
    setDefects(d.defects);
  };
  useAsync(
    async (signal) => {
      if (!id) return;
      await refresh(id, signal);
      setView(await getJson<KpiView>(`/api/v1/lines/${encodeURIComponent(id)}/kpis`, signal));
    },
    [id],
  );
  useStreamMessages('lines', 'line.kpis', (m) => {
    if (m.lineId !== id || !id) return;
    setView({ kpis: m.kpis as Kpis, pareto: m.pareto as KpiView['pareto'] });
    void refresh(id).catch(setError);
  });
  useStreamMessages('lines', 'line.state', (m) => {
    if (m.lineId === id) setStatus((s) => (s ? { ...s, state: String(m.state) } : s));
  });

  const command = async (path: string) => {
    if (!id) return;
    setError(null);
    try {
      await sendJson('POST', `/api/v1/lines/${encodeURIComponent(id)}/control/${path}`, {});
      await refresh(id);
    } catch (err) {
      setError(err);
    }
  };
  const dispose = async (defect: Defect, disposition: 'accept' | 'reject' | 'rework') => {
    if (!id) return;
    setError(null);
    try {
      await sendJson(
        'POST',
        `/api/v1/lines/${encodeURIComponent(id)}/defects/${encodeURIComponent(defect.id)}/disposition`,
        {
          disposition,
        },
      );
      await refresh(id);
    } catch (err) {
      setError(err);
    }
  };

  const k = view?.kpis;
  const has = (c: string) => status?.commands.includes(c) ?? false;
  return (
    <section aria-labelledby="line-title">
      <header className="page-header">
        <h1 id="line-title">Line {id ?? ''}</h1>
      </header>
      <ErrorText error={lines.error ?? error} />
      {lines.data && !id ? <p>No production lines are configured.</p> : null}
      <div className="card-grid">
        <div className="card">
          <h2>State</h2>
          <dl className="values">
            <dt>State</dt>
            <dd data-testid="line-state">{status?.state ?? '—'}</dd>
            <dt>PLC</dt>
            <dd>
              {status?.plc_connected === false ? 'link lost' : status?.plc_connected ? 'connected' : '—'}
            </dd>
            <dt>Parts tracked</dt>
            <dd data-testid="line-parts">{status?.parts ?? 0}</dd>
          </dl>
          <div className="actions">
            <button type="button" disabled={!canRun || !has('run')} onClick={() => void command('run')}>
              Run
            </button>
            <button type="button" disabled={!canRun || !has('stop')} onClick={() => void command('stop')}>
              Stop
            </button>
            <button
              type="button"
              disabled={!canSupervise || !has('reset')}
              onClick={() => void command('reset')}
            >
              Reset
            </button>
            <button
              type="button"
              className="danger"
              disabled={!canRun || !has('emergency_stop')}
              onClick={() => void command('emergency-stop')}
            >
              Emergency stop
            </button>
          </div>
        </div>
        <div className="card">
          <h2>OEE</h2>
          <dl className="values" aria-label="OEE">
            <dt>OEE</dt>
            <dd data-testid="line-oee">
              {k ? `${pct(k.oee)} (target ${pct(OEE_TARGET)}${k.oee >= OEE_TARGET ? ', met' : ''})` : '—'}
            </dd>
            <dt>Availability</dt>
            <dd>{k ? pct(k.availability) : '—'}</dd>
            <dt>Performance</dt>
            <dd>{k ? pct(k.performance) : '—'}</dd>
            <dt>Quality</dt>
            <dd>{k ? pct(k.quality) : '—'}</dd>
            <dt>Throughput</dt>
            <dd data-testid="line-throughput">
              {k ? `${k.throughputPerHour.toFixed(0)} / ${k.targetPerHour} parts/h` : '—'}
            </dd>
            <dt>Quality, last {status?.recent_parts ?? 0} parts</dt>
            <dd data-testid="line-recent-quality">
              {status?.recent_parts ? pct(1 - status.defect_rate) : '—'}
            </dd>
          </dl>
        </div>
        <div className="card">
          <h2>Defect Pareto</h2>
          <table aria-label="Defect Pareto">
            <thead>
              <tr>
                <th>Class</th>
                <th>Count</th>
                <th>%</th>
                <th>Cumulative %</th>
              </tr>
            </thead>
            <tbody>
              {(view?.pareto.byClass ?? []).map((b) => (
                <tr key={b.key}>
                  <td>{b.key}</td>
                  <td>{b.count}</td>
                  <td>{b.percent.toFixed(1)}</td>
                  <td>{b.cumulativePercent.toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <div className="card">
        <h2>Defects to review</h2>
        <table aria-label="Defects to review">
          <thead>
            <tr>
              <th>Part</th>
              <th>Station</th>
              <th>Class</th>
              <th>Confidence</th>
              <th>Box</th>
              <th>Disposition</th>
            </tr>
          </thead>
          <tbody>
            {defects.map((d) => (
              <tr key={d.id}>
                <td>{d.partId}</td>
                <td>{d.station}</td>
                <td>{d.class}</td>
                <td>{d.confidence.toFixed(2)}</td>
                <td>{d.box ? `${d.box.x.toFixed(0)}, ${d.box.y.toFixed(0)}` : '—'}</td>
                <td>
                  {(['accept', 'reject', 'rework'] as const).map((disp) => (
                    <button
                      key={disp}
                      type="button"
                      disabled={!canSupervise}
                      aria-label={`${disp} defect of part ${d.partId} (${d.class})`}
                      onClick={() => void dispose(d, disp)}
                    >
                      {disp}
                    </button>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
