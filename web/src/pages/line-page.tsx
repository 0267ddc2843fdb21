import { useState } from 'react';
import { getJson, query, sendJson } from '../api/http.ts';
import type { LineDefect, LineList, LineReport } from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { useAsync, useCan, useStreamMessages } from '../hooks.ts';
import { DefectTimeline } from '../line/defect-timeline.tsx';
import { DowntimeTable } from '../line/downtime-table.tsx';
import { type KpiPeriod, periodQuery, ShiftPicker } from '../line/shift-picker.tsx';
import { SpcChart } from '../line/spc-chart.tsx';

interface LineStatus {
  line: string;
  state: string | null;
  parts: number;
  recent_parts: number;
  defect_rate: number;
  plc_connected: boolean | null;
  commands: string[];
}

type Defect = LineDefect;

/** Defects kept in the live timeline. */
const TIMELINE = 30;

/** The guide's OEE target. */
const OEE_TARGET = 0.85;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * A production line: its state with run/stop/reset/emergency stop (by role), OEE and its three
 * factors against the 85 % target, throughput against target, the quality of the last 100 parts,
 * the defect Pareto, the SPC chart with its limits and rule violations, downtime by reason, a
 * live defect timeline and the pending defects to disposition; live from the stream's `lines`
 * channel, or for a chosen shift and date.
 */
export function LinePage() {
  const lines = useAsync((signal) => getJson<LineList>('/api/v1/lines', signal), []);
  const info = lines.data?.lines[0];
  const id = info?.id;
  const [status, setStatus] = useState<LineStatus | null>(null);
  const [view, setView] = useState<LineReport | null>(null);
  const [period, setPeriod] = useState<KpiPeriod>({ kind: 'live' });
  const [defects, setDefects] = useState<Defect[]>([]);
  const [timeline, setTimeline] = useState<Defect[]>([]);
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
  const loadReport = async (lineId: string, p: KpiPeriod, signal?: AbortSignal) =>
    setView(
      await getJson<LineReport>(
        `/api/v1/lines/${encodeURIComponent(lineId)}/kpis${query(periodQuery(p))}`,
        signal,
      ),
    );
  useAsync(
    async (signal) => {
      if (!id) return;
      await refresh(id, signal);
      const recent = await getJson<{ defects: Defect[] }>(
        `/api/v1/lines/${encodeURIComponent(id)}/defects${query({ limit: TIMELINE })}`,
        signal,
      );
      setTimeline(recent.defects);
    },
    [id],
  );
  const report = useAsync(
    async (signal) => {
      if (id) await loadReport(id, period, signal);
    },
    [id, period],
  );
  // The publisher says at most once a second that the KPIs moved; the live view then reloads
  // the whole report (SPC and downtime are not in the update). A chosen shift stays as it was.
  useStreamMessages('lines', 'line.kpis', (m) => {
    if (m.lineId !== id || !id) return;
    if (period.kind === 'live') void loadReport(id, period).catch(setError);
    void refresh(id).catch(setError);
  });
  useStreamMessages('lines', 'line.defect', (m) => {
    if (m.lineId !== id) return;
    const { type: _type, ...defect } = m;
    setTimeline((t) => [defect as unknown as Defect, ...t].slice(0, TIMELINE));
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
      <ErrorText error={lines.error ?? report.error ?? error} />
      {info ? <ShiftPicker shifts={info.shifts} period={period} onChange={setPeriod} /> : null}
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
          <h2>OEE{period.kind === 'shift' ? ` — shift ${period.shift}, ${period.date}` : ''}</h2>
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
        <div className="card">
          <h2>Downtime by reason</h2>
          {view ? <DowntimeTable downtime={view.kpis.downtime} /> : null}
        </div>
      </div>
      <div className="card">
        <h2>SPC</h2>
        {view ? <SpcChart report={view} /> : null}
      </div>
      <div className="card">
        <h2>Defect timeline</h2>
        <DefectTimeline defects={timeline} />
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
