import { type FormEvent, useEffect, useRef, useState } from 'react';
import { getJson, sendJson } from '../api/http.ts';
import type {
  LiveRun,
  Plan,
  RunDocument,
  RunProgress,
  RunSearchResult,
  RunState,
  SubmitReply,
} from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { checkDraft, type Draft, initialDraft, type Problem } from '../forms/json-schema.ts';
import { SchemaFields } from '../forms/schema-form.tsx';
import { useAsync, useCan, useStreamMessages } from '../hooks.ts';
import { formatDuration } from '../live/format.ts';
import { Link } from '../router.tsx';
import { loadRunDocuments } from '../runs/load-run.ts';
import { RunData } from '../runs/run-data.ts';
import { RunPlot } from '../runs/run-plot.tsx';
import { SuspensionNote } from '../runs/suspension-note.tsx';

/** `key=value` lines into metadata; numbers and booleans keep their type so catalog search matches them. */
function parseMetadata(text: string): { value: Record<string, unknown>; problem: string | null } {
  const value: Record<string, unknown> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { value, problem: `"${line}" is not key=value` };
    const v = line.slice(eq + 1).trim();
    value[line.slice(0, eq).trim()] =
      v === 'true' ? true : v === 'false' ? false : v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return { value, problem: null };
}

interface Followed {
  data: RunData;
  state: RunState;
  reason: string | null;
  /** While suspended: since when and when it fails (server time, seconds since the epoch). */
  suspendedAt: number | null;
  failsAt: number | null;
}

/** Pick a plan, fill its generated form, start it, and watch it fill in; pause, resume, abort. */
export function ScansPage() {
  const plans = useAsync((signal) => getJson<Plan[]>('/api/v1/plans', signal), []);
  const canRun = useCan('operator');
  const [planName, setPlanName] = useState<string>('');
  const plan =
    plans.data?.find((p) => p.name === planName) ??
    plans.data?.find((p) => p.name === 'scan') ??
    plans.data?.[0];
  const [drafts, setDrafts] = useState<Record<string, Record<string, Draft>>>({});
  const draft = plan ? (drafts[plan.name] ?? (initialDraft(plan.schema) as Record<string, Draft>)) : {};
  const [metadata, setMetadata] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const [followed, setFollowed] = useState<Followed | null>(null);
  const followedRef = useRef<Followed | null>(null);
  followedRef.current = followed;
  const progressRef = useRef<HTMLProgressElement>(null);
  const progressText = useRef<HTMLSpanElement>(null);
  const [controlError, setControlError] = useState<unknown>(null);

  const showProgress = (p: RunProgress) => {
    const bar = progressRef.current;
    if (bar) {
      if (p.total) {
        bar.max = p.total;
        bar.value = p.done;
      } else bar.removeAttribute('value');
    }
    if (progressText.current)
      progressText.current.textContent = `${p.done}${p.total ? ` of ${p.total}` : ''} points${
        p.eta_s !== null && p.eta_s !== undefined && p.done !== p.total
          ? `, about ${formatDuration(p.eta_s)} left`
          : ''
      }`;
  };

  // A run already going when the page opens is followed from its next document on.
  useEffect(() => {
    getJson<RunSearchResult>('/api/v1/runs?limit=1').then(
      (r) => {
        const running = r.live.find((l) => l.state !== 'queued') ?? r.live[0];
        if (running && !followedRef.current) followRef.current(running, true);
      },
      () => {},
    );
  }, []);

  const follow = (run: LiveRun, backfill = false) => {
    const data = new RunData(run.uid);
    const next = {
      data,
      state: run.state,
      reason: run.state === 'suspended' ? run.suspended_by.join('; ') : run.reason,
      suspendedAt: run.suspended_at ?? null,
      failsAt: run.fails_at ?? null,
    };
    followedRef.current = next;
    setFollowed(next);
    showProgress(run.progress);
    // Joining mid-run: what was recorded so far comes from the catalog; the stream adds the rest.
    if (backfill) void loadRunDocuments(run.uid, undefined, data).catch(() => {});
  };
  const followRef = useRef(follow);
  followRef.current = follow;

  useStreamMessages('runs', 'run.document', (m) => {
    const { uid, document } = m as unknown as { uid: string; document: RunDocument };
    let current = followedRef.current;
    if (document.name === 'start' && current?.data.uid !== uid) {
      // Runs go one at a time: a new run start is the run to watch.
      current = { data: new RunData(uid), state: 'running', reason: null, suspendedAt: null, failsAt: null };
      followedRef.current = current;
      setFollowed(current);
    }
    if (current?.data.uid === uid) current.data.add(document);
  });
  useStreamMessages('runs', 'run.progress', (m) => {
    const p = m as unknown as RunProgress & { uid: string };
    if (p.uid === followedRef.current?.data.uid) showProgress(p);
  });
  useStreamMessages('runs', 'run.state', (m) => {
    const s = m as unknown as {
      uid: string;
      state: RunState;
      reason?: string;
      exit_status?: string;
      suspended_at?: number;
      fails_at?: number;
    };
    setFollowed((f) =>
      f && f.data.uid === s.uid
        ? {
            ...f,
            state: s.state,
            reason: [s.exit_status, s.reason].filter(Boolean).join(': ') || null,
            suspendedAt: s.suspended_at ?? null,
            failsAt: s.fails_at ?? null,
          }
        : f,
    );
  });

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (!plan) return;
    const checked = checkDraft(plan.schema, draft);
    const meta = parseMetadata(metadata);
    setProblems(
      meta.problem ? [...checked.problems, { path: 'metadata', message: meta.problem }] : checked.problems,
    );
    setSubmitError(null);
    if (checked.problems.length > 0 || meta.problem) return;
    setSubmitting(true);
    try {
      const reply = await sendJson<SubmitReply>('POST', '/api/v1/runs', {
        plan: plan.name,
        args: checked.value,
        metadata: meta.value,
      });
      if (followedRef.current?.data.uid !== reply.uid) follow(reply.run);
    } catch (err) {
      setSubmitError(err);
    } finally {
      setSubmitting(false);
    }
  };

  const control = async (action: 'pause' | 'resume' | 'abort' | 'stop') => {
    if (!followed) return;
    setControlError(null);
    try {
      await sendJson('POST', `/api/v1/runs/${encodeURIComponent(followed.data.uid)}/${action}`, {});
    } catch (err) {
      setControlError(err);
    }
  };

  const state = followed?.state;
  const live = state === 'running' || state === 'paused' || state === 'suspended' || state === 'queued';
  return (
    <section aria-labelledby="scans-title">
      <h1 id="scans-title">Scans</h1>
      <div className="scans-layout">
        <form className="card plan-form" onSubmit={start} noValidate aria-label="Run a plan">
          <ErrorText error={plans.error} />
          <div className="field">
            <label htmlFor="plan-name">Plan</label>
            <select id="plan-name" value={plan?.name ?? ''} onChange={(e) => setPlanName(e.target.value)}>
              {(plans.data ?? []).map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
            {plan ? <small className="hint">{plan.description}</small> : null}
          </div>
          {plan ? (
            <SchemaFields
              key={plan.name}
              schema={plan.schema}
              draft={draft}
              onChange={(d) => setDrafts((all) => ({ ...all, [plan.name]: d }))}
              idPrefix={`plan-${plan.name}`}
              problems={problems}
              disabled={!canRun}
            />
          ) : null}
          <div className="field">
            <label htmlFor="plan-metadata">
              Metadata <span className="optional">optional, key=value per line</span>
            </label>
            <textarea
              id="plan-metadata"
              rows={2}
              value={metadata}
              onChange={(e) => setMetadata(e.target.value)}
              disabled={!canRun}
              placeholder="sample=knife-edge"
            />
            {problems
              .filter((p) => p.path === 'metadata')
              .map((p) => (
                <small key={p.message} className="error-text" role="alert">
                  {p.message}
                </small>
              ))}
          </div>
          {problems.length > 0 ? (
            <p className="error-text" role="alert">
              The form has {problems.length} problem{problems.length === 1 ? '' : 's'}; nothing was sent.
            </p>
          ) : null}
          <ErrorText error={submitError} />
          <button
            type="submit"
            disabled={!canRun || submitting || !plan}
            title={canRun ? undefined : 'Needs the operator role'}
          >
            {submitting ? 'Starting…' : 'Start'}
          </button>
        </form>
        <div className="card run-panel">
          <h2>
            {followed ? (
              <>
                Run{' '}
                <Link to={`/runs/${encodeURIComponent(followed.data.uid)}`}>
                  {followed.data.uid.slice(0, 8)}
                </Link>{' '}
                <output className={`badge run-${followed.state}`} aria-label="Run state">
                  {followed.state}
                </output>
              </>
            ) : (
              'No run yet'
            )}
          </h2>
          {followed?.state === 'suspended' && followed.suspendedAt !== null ? (
            <SuspensionNote
              reason={followed.reason}
              since={followed.suspendedAt}
              failsAt={followed.failsAt}
            />
          ) : followed?.reason ? (
            <p className="muted">{followed.reason}</p>
          ) : null}
          <div className="progress-row">
            <progress ref={progressRef} aria-label="Run progress" max={1} value={0} />
            <span ref={progressText} />
          </div>
          <div className="button-row">
            <button
              type="button"
              disabled={!canRun || state !== 'running'}
              onClick={() => void control('pause')}
            >
              Pause
            </button>
            <button
              type="button"
              disabled={!canRun || (state !== 'paused' && state !== 'suspended')}
              onClick={() => void control('resume')}
            >
              Resume
            </button>
            <button type="button" disabled={!canRun || !live} onClick={() => void control('stop')}>
              Stop
            </button>
            <button
              type="button"
              className="danger"
              disabled={!canRun || !live}
              onClick={() => void control('abort')}
            >
              Abort
            </button>
          </div>
          <ErrorText error={controlError} />
          {followed ? <RunPlot key={followed.data.uid} data={followed.data} idPrefix="scan-plot" /> : null}
        </div>
      </div>
    </section>
  );
}
