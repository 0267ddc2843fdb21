import { type FormEvent, useMemo, useState } from 'react';
import { getJson, sendJson } from '../api/http.ts';
import { loadAllInstruments } from '../api/instruments.ts';
import type { LiveRun, SignalDescription } from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { LiveValue } from '../components/live-value.tsx';
import { SignalControl } from '../components/signal-control.tsx';
import { useAsync, useCan, useStreamMessages } from '../hooks.ts';
import { StripChart } from '../plots/strip-chart.tsx';

interface ProcessMap {
  valves: Record<string, { signal: string; feedback?: string; interlock?: string }>;
  gases: Record<string, { valve: string; flow_signal?: string }>;
  parameters: Record<string, string>;
  sample_signals: string[];
  time_scale: number;
}

interface RecipeListing {
  name: string;
  version: number;
  description: string | null;
}

interface RecipeDetail {
  step?: number;
  steps?: number;
  step_name?: string | null;
  cycle?: number;
  cycles?: number;
  cycles_done?: number;
  thickness_nm?: number;
}

/**
 * The process tool: a recipe picker with start/pause/stop/abort, the running recipe's step,
 * cycle and estimated thickness, the pressure trace (the peak-hold register shows every pulse
 * even at a 1 s poll), valve states with the interlock, the process parameters, and setpoint
 * forms for the writable ones. Everything comes from the `[process]` map, none of it hard-coded.
 */
export function ProcessPage() {
  const map = useAsync((signal) => getJson<ProcessMap>('/api/v1/process', signal), []);
  const recipes = useAsync((signal) => getJson<RecipeListing[]>('/api/v1/recipes', signal), []);
  const instruments = useAsync((signal) => loadAllInstruments(signal), []);
  const canRun = useCan('operator');
  const [picked, setPicked] = useState('');
  const [timeScale, setTimeScale] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [run, setRun] = useState<Pick<LiveRun, 'uid' | 'state' | 'reason' | 'exit_status'> | null>(null);
  const [detail, setDetail] = useState<RecipeDetail | null>(null);
  const [external, setExternal] = useState<{ at: number; text: string }[]>([]);

  // A recipe already running (started elsewhere) is followed from the start.
  useAsync(async (signal) => {
    const runs = await getJson<{ live: LiveRun[] }>('/api/v1/runs?limit=1', signal);
    const current = runs.live.find(
      (r) => r.plan === 'recipe' && r.state !== 'finished' && r.state !== 'cancelled',
    );
    if (current) {
      setRun({
        uid: current.uid,
        state: current.state,
        reason: current.reason,
        exit_status: current.exit_status,
      });
      if (current.progress.detail) setDetail(current.progress.detail as RecipeDetail);
    }
  }, []);
  useStreamMessages('runs', 'run.state', (m) => {
    if (run === null && m.state === 'running')
      void getJson<{ live?: LiveRun }>(`/api/v1/runs/${encodeURIComponent(String(m.uid))}`).then(
        ({ live }) => {
          if (live?.plan === 'recipe')
            setRun({ uid: live.uid, state: live.state, reason: null, exit_status: null });
        },
      );
  });
  useStreamMessages('alarms', 'setpoint.changed_externally', (m) => {
    const text = `${String(m.instrument)}.${String(m.signal)}: ${String(m.expected)} → ${String(m.value)}`;
    setExternal((list) => [{ at: Number(m.at), text }, ...list].slice(0, 5));
  });

  useStreamMessages('runs', 'run.progress', (m) => {
    if (m.detail && (run === null || m.uid === run.uid)) setDetail(m.detail as RecipeDetail);
  });
  useStreamMessages('runs', 'run.state', (m) => {
    if (run && m.uid === run.uid)
      setRun({
        uid: run.uid,
        state: m.state as LiveRun['state'],
        reason: (m.reason as string | undefined) ?? null,
        exit_status: (m.exit_status as LiveRun['exit_status'] | undefined) ?? null,
      });
  });

  const descs = useMemo(() => {
    const out = new Map<string, SignalDescription>();
    for (const d of instruments.data ?? []) for (const s of d.signals) out.set(`${d.id}.${s.name}`, s);
    return out;
  }, [instruments.data]);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const name = picked || recipes.data?.[0]?.name;
    if (!name) return;
    try {
      const args: Record<string, unknown> = { recipe: name };
      if (timeScale !== '') args.time_scale = Number(timeScale);
      const reply = await sendJson<{ uid: string; run: LiveRun }>('POST', '/api/v1/runs', {
        plan: 'recipe',
        args,
      });
      setDetail(null);
      setRun({ uid: reply.uid, state: reply.run.state, reason: null, exit_status: null });
    } catch (err) {
      setError(err);
    }
  };
  const control = async (action: 'pause' | 'resume' | 'stop' | 'abort') => {
    if (!run) return;
    setError(null);
    try {
      await sendJson('POST', `/api/v1/runs/${encodeURIComponent(run.uid)}/${action}`, {});
    } catch (err) {
      setError(err);
    }
  };

  const m = map.data;
  const pressure = m?.parameters.chamber_pressure ?? m?.sample_signals.find((s) => s.endsWith('pressure'));
  const peak = m?.sample_signals.find((s) => s.endsWith('pressure_peak'));
  const interlocks = [
    ...new Set(Object.values(m?.valves ?? {}).flatMap((v) => (v.interlock ? [v.interlock] : []))),
  ];
  const writable = Object.entries(m?.parameters ?? {}).filter(([, s]) => descs.get(s)?.writable);
  const readOnly = Object.entries(m?.parameters ?? {}).filter(
    ([, s]) => descs.get(s) && !descs.get(s)?.writable,
  );
  const active = run !== null && run.state !== 'finished' && run.state !== 'cancelled';

  return (
    <section aria-labelledby="process-title">
      <header className="page-header">
        <h1 id="process-title">Process</h1>
      </header>
      <ErrorText error={map.error ?? recipes.error ?? instruments.error ?? error} />
      <div className="card-grid">
        <div className="card">
          <h2>Recipe</h2>
          <form onSubmit={(e) => void start(e)}>
            <label>
              Recipe{' '}
              <select aria-label="Recipe" value={picked} onChange={(e) => setPicked(e.target.value)}>
                {(recipes.data ?? []).map((r) => (
                  <option key={r.name} value={r.name}>
                    {r.name} v{r.version}
                    {r.description ? ` — ${r.description}` : ''}
                  </option>
                ))}
              </select>
            </label>{' '}
            <label>
              Time scale{' '}
              <input
                aria-label="Time scale"
                type="number"
                min="0.001"
                max="1"
                step="any"
                placeholder={String(m?.time_scale ?? 1)}
                value={timeScale}
                onChange={(e) => setTimeScale(e.target.value)}
              />
            </label>{' '}
            <button type="submit" disabled={!canRun || active || (recipes.data ?? []).length === 0}>
              Start
            </button>
          </form>
          <p>
            <button type="button" disabled={!canRun || !active} onClick={() => void control('pause')}>
              Pause
            </button>{' '}
            <button type="button" disabled={!canRun || !active} onClick={() => void control('resume')}>
              Resume
            </button>{' '}
            <button type="button" disabled={!canRun || !active} onClick={() => void control('stop')}>
              Stop at end of cycle
            </button>{' '}
            <button type="button" disabled={!canRun || !active} onClick={() => void control('abort')}>
              Abort
            </button>
          </p>
          <dl className="values" aria-label="Recipe progress">
            <dt>State</dt>
            <dd data-testid="recipe-state">
              {run ? `${run.state}${run.exit_status ? ` (${run.exit_status})` : ''}` : 'idle'}
              {run?.reason ? `: ${run.reason}` : ''}
            </dd>
            <dt>Step</dt>
            <dd data-testid="recipe-step">
              {detail?.step !== undefined ? `${detail.step} of ${detail.steps}` : '—'}
              {detail?.step_name ? ` (${detail.step_name})` : ''}
            </dd>
            <dt>Cycle</dt>
            <dd data-testid="recipe-cycle">
              {detail?.cycle !== undefined ? `${detail.cycle} of ${detail.cycles}` : '—'}
            </dd>
            <dt>Thickness</dt>
            <dd data-testid="recipe-thickness">
              {detail?.thickness_nm !== undefined ? `${detail.thickness_nm.toFixed(2)} nm` : '—'}
            </dd>
          </dl>
        </div>
        <div className="card">
          <h2>Valves</h2>
          <dl className="values">
            {Object.entries(m?.valves ?? {}).map(([name, v]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>
                  commanded <LiveValue signal={v.signal} label={`${name} commanded`} />
                  {v.feedback ? (
                    <>
                      {' '}
                      · open <LiveValue signal={v.feedback} label={`${name} open`} />
                    </>
                  ) : null}
                </dd>
              </div>
            ))}
            {interlocks.map((s) => (
              <div key={s}>
                <dt>Interlock</dt>
                <dd>
                  <LiveValue signal={s} label="Interlock" />
                </dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="card">
          <h2>Parameters</h2>
          <dl className="values">
            {readOnly.map(([name, s]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>
                  <LiveValue signal={s} label={name} unit={descs.get(s)?.unit} />
                </dd>
              </div>
            ))}
          </dl>
          <h3>Setpoints</h3>
          {external.length > 0 ? (
            <ul aria-label="Setpoints changed at the machine" className="checks">
              {external.map((e) => (
                <li key={`${e.at}-${e.text}`}>
                  changed at the machine {new Date(e.at).toLocaleTimeString()}: {e.text}
                </li>
              ))}
            </ul>
          ) : null}
          {writable.map(([name, s]) => (
            <div key={name}>
              {descs.get(s)?.dtype === 'boolean' ? <span className="muted">{name} </span> : null}
              <SignalControl
                instrument={s.split('.')[0]!}
                desc={descs.get(s)!}
                canWrite={canRun}
                label={name}
              />
            </div>
          ))}
        </div>
      </div>
      {pressure ? (
        <div className="card">
          <h2>Chamber pressure</h2>
          <StripChart signal={pressure} unit={descs.get(pressure)?.unit} windowS={300} />
          {peak ? <StripChart signal={peak} unit={descs.get(peak)?.unit} windowS={300} /> : null}
        </div>
      ) : null}
    </section>
  );
}
