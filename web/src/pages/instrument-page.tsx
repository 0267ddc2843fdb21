import { useEffect, useMemo, useState } from 'react';
import { getJson } from '../api/http.ts';
import { isNumeric, loadInstrument } from '../api/instruments.ts';
import type { ActorStateMessage, InstrumentDetail, InstrumentSummary } from '../api/types.ts';
import { ActionForm } from '../components/action-form.tsx';
import { ErrorText } from '../components/error-text.tsx';
import { HostLabel } from '../components/host-label.tsx';
import { LiveValue } from '../components/live-value.tsx';
import { RestartButton } from '../components/restart-button.tsx';
import { SignalControl } from '../components/signal-control.tsx';
import { StateBadge } from '../components/state-badge.tsx';
import { useAsync, useCan, useStreamMessages } from '../hooks.ts';
import { pollSignals } from '../live/signal-poller.ts';
import { StripChart } from '../plots/strip-chart.tsx';
import { Link, navigate } from '../router.tsx';

/** Every signal of one instrument live, inputs for the writable ones, its actions, and a strip chart. */
export function InstrumentPage(props: { id: string | null }) {
  const list = useAsync((signal) => getJson<InstrumentSummary[]>('/api/v1/instruments', signal), []);
  useEffect(() => {
    const first = list.data?.[0];
    if (props.id === null && first)
      navigate(`/instruments/${encodeURIComponent(first.id)}`, { replace: true });
  }, [props.id, list.data]);

  return (
    <section aria-labelledby="instrument-title">
      <nav className="tabs" aria-label="Instruments">
        {(list.data ?? []).map((i) => (
          <Link
            key={i.id}
            to={`/instruments/${encodeURIComponent(i.id)}`}
            aria-current={i.id === props.id ? 'page' : undefined}
          >
            {i.id}
          </Link>
        ))}
      </nav>
      <ErrorText error={list.error} />
      {props.id ? (
        <InstrumentDetailView key={props.id} id={props.id} />
      ) : (
        <h1 id="instrument-title">Instruments</h1>
      )}
    </section>
  );
}

function InstrumentDetailView({ id }: { id: string }) {
  const detail = useAsync((signal) => loadInstrument(id, signal), [id]);
  const canWrite = useCan('operator');
  const [state, setState] = useState<Pick<ActorStateMessage, 'state' | 'error'> | null>(null);
  useStreamMessages('states', 'actor.state', (m) => {
    const msg = m as unknown as ActorStateMessage;
    if (msg.id !== id) return;
    setState({ state: msg.state, ...(msg.error ? { error: msg.error } : {}) });
    if (msg.state === 'ready') detail.reload();
  });

  const d: InstrumentDetail | undefined = detail.data;
  const unmonitored = useMemo(
    () => (d ? d.signals.filter((s) => s.readable && !s.monitored).map((s) => s.name) : []),
    [d],
  );
  useEffect(() => pollSignals(id, unmonitored), [id, unmonitored]);

  const numeric = useMemo(() => (d ? d.signals.filter((s) => s.readable && isNumeric(s)) : []), [d]);
  const [chartSignal, setChartSignal] = useState<string | null>(null);
  const charted =
    numeric.find((s) => s.name === chartSignal) ?? numeric.find((s) => s.monitored) ?? numeric[0];

  if (!d) return detail.error ? <ErrorText error={detail.error} /> : <p>Loading {id}…</p>;
  const current = state?.state ?? d.state;
  const error = state ? (state.error ?? null) : d.lastError;
  return (
    <>
      <header className="page-header">
        <h1 id="instrument-title">{d.id}</h1>
        <StateBadge state={current} label={`${d.id} state`} />
        <HostLabel id={d.id} host={d.host} />
        <span className="muted">
          {d.type}
          {d.identity?.raw ? ` · ${d.identity.raw}` : ''}
        </span>
        <RestartButton id={d.id} state={current} allowed={canWrite} />
      </header>
      {error ? (
        <p className="error-text">
          Last error: {error.message} <span className="code">[{error.code}]</span>
        </p>
      ) : null}
      <div className="instrument-layout">
        <div className="card">
          <h2>Signals</h2>
          <table className="signals">
            <thead>
              <tr>
                <th scope="col">Signal</th>
                <th scope="col">Value</th>
                <th scope="col">Set</th>
              </tr>
            </thead>
            <tbody>
              {d.signals.map((s) => (
                <tr key={s.name}>
                  <th scope="row" title={s.description}>
                    {s.name}
                    <small className="hint">{s.description}</small>
                  </th>
                  <td>
                    {s.readable ? (
                      <LiveValue
                        signal={`${d.id}.${s.name}`}
                        {...(s.precision !== undefined ? { precision: s.precision } : {})}
                        {...(s.unit ? { unit: s.unit } : {})}
                      />
                    ) : (
                      <span className="muted">write-only</span>
                    )}
                  </td>
                  <td>
                    {s.writable ? <SignalControl instrument={d.id} desc={s} canWrite={canWrite} /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="side-column">
          {charted ? (
            <div className="card">
              <h2>Strip chart</h2>
              <label htmlFor="chart-signal">Chart signal</label>
              <select id="chart-signal" value={charted.name} onChange={(e) => setChartSignal(e.target.value)}>
                {numeric.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
              <StripChart
                signal={`${d.id}.${charted.name}`}
                {...(charted.unit ? { unit: charted.unit } : {})}
              />
            </div>
          ) : null}
          {d.actions.length > 0 ? (
            <div className="card">
              <h2>Actions</h2>
              {d.actions.map((a) => (
                <ActionForm key={a.name} instrument={d.id} action={a} canRun={canWrite} />
              ))}
            </div>
          ) : null}
        </div>
      </div>
    </>
  );
}
