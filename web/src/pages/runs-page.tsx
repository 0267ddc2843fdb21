import { type FormEvent, useMemo, useState } from 'react';
import { download, getJson, query } from '../api/http.ts';
import type { LiveRun, Plan, RunDetail as RunDetailReply, RunRecord, RunSearchResult } from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { useAsync, useStreamMessages } from '../hooks.ts';
import { formatDuration, formatTime } from '../live/format.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { CompareRuns } from '../runs/compare-runs.tsx';
import { loadRunDocuments } from '../runs/load-run.ts';
import { RunPlot } from '../runs/run-plot.tsx';
import { SuspensionNote } from '../runs/suspension-note.tsx';

const PAGE_SIZE = 25;
const STATUSES = ['success', 'abort', 'fail', 'running', 'interrupted'];

interface Search {
  text: string;
  plan: string;
  status: string;
  since: string;
  until: string;
  metadata: string;
}

const EMPTY: Search = { text: '', plan: '', status: '', since: '', until: '', metadata: '' };

/** The run catalog (search, live runs first), one run's detail, or two runs compared. */
export function RunsPage(props: { uid: string | null }) {
  const { params } = useLocation();
  if (props.uid) return <RunDetail key={props.uid} uid={props.uid} />;
  const compare = params.get('compare')?.split(',').filter(Boolean) ?? [];
  if (compare.length === 2) return <CompareRuns a={compare[0]!} b={compare[1]!} />;
  return <RunCatalog />;
}

function RunCatalog() {
  const [form, setForm] = useState<Search>(EMPTY);
  const [search, setSearch] = useState<Search>(EMPTY);
  const [offset, setOffset] = useState(0);
  const [picked, setPicked] = useState<string[]>([]);
  const plans = useAsync(() => getJson<Plan[]>('/api/v1/plans'), []);
  const result = useAsync(
    (signal) =>
      getJson<RunSearchResult>(
        `/api/v1/runs${query({
          text: search.text,
          plan: search.plan,
          status: search.status,
          since: search.since ? new Date(search.since).toISOString() : undefined,
          until: search.until ? new Date(search.until).toISOString() : undefined,
          metadata: search.metadata,
          limit: PAGE_SIZE,
          offset,
        })}`,
        signal,
      ),
    [search, offset],
  );
  // New and finished runs appear without reloading.
  useStreamMessages('runs', 'run.state', () => result.reload());

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setOffset(0);
    setSearch(form);
  };
  const toggle = (uid: string, on: boolean) =>
    setPicked((p) => (on ? [...p.filter((u) => u !== uid), uid].slice(-2) : p.filter((u) => u !== uid)));
  const field = (key: keyof Search) => ({
    id: `runs-${key}`,
    value: form[key],
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value })),
  });
  const total = result.data?.total ?? 0;

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <form className="card search-form" onSubmit={submit} aria-label="Search runs">
        <div className="field">
          <label htmlFor="runs-text">Text</label>
          <input {...field('text')} type="search" placeholder="plan, metadata, reason…" />
        </div>
        <div className="field">
          <label htmlFor="runs-plan">Plan</label>
          <select {...field('plan')}>
            <option value="">any</option>
            {(plans.data ?? []).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="runs-status">Status</label>
          <select {...field('status')}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="runs-since">Since</label>
          <input {...field('since')} type="datetime-local" />
        </div>
        <div className="field">
          <label htmlFor="runs-until">Until</label>
          <input {...field('until')} type="datetime-local" />
        </div>
        <div className="field">
          <label htmlFor="runs-metadata">Metadata</label>
          <input {...field('metadata')} placeholder="sample=knife-edge" />
        </div>
        <div className="button-row">
          <button type="submit">Search</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setForm(EMPTY);
              setSearch(EMPTY);
              setOffset(0);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ErrorText error={result.error} />
      {result.data && result.data.live.length > 0 ? (
        <div className="card">
          <h2>Queued and running</h2>
          <ul>
            {result.data.live.map((r: LiveRun) => (
              <li key={r.uid}>
                <Link to={`/runs/${encodeURIComponent(r.uid)}`}>{r.uid.slice(0, 8)}</Link> {r.plan} —{' '}
                <span className={`badge run-${r.state}`}>{r.state}</span> {r.progress.done}
                {r.progress.total ? `/${r.progress.total}` : ''} points
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="card">
        <div className="table-header">
          <h2 className="table-title">Catalog</h2>
          <output className="muted" aria-label="Runs found">
            {total} run{total === 1 ? '' : 's'}
          </output>
          <button
            type="button"
            disabled={picked.length !== 2}
            onClick={() => navigate(`/runs?compare=${picked.map(encodeURIComponent).join(',')}`)}
          >
            Compare selected ({picked.length}/2)
          </button>
        </div>
        <div className="table-scroll">
          <table className="runs-table">
            <thead>
              <tr>
                <th scope="col">Compare</th>
                <th scope="col">Run</th>
                <th scope="col">Plan</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col">Events</th>
                <th scope="col">By</th>
              </tr>
            </thead>
            <tbody>
              {(result.data?.runs ?? []).map((r: RunRecord) => (
                <tr key={r.uid}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare run ${r.uid.slice(0, 8)}`}
                      checked={picked.includes(r.uid)}
                      onChange={(e) => toggle(r.uid, e.target.checked)}
                    />
                  </td>
                  <td>
                    <Link to={`/runs/${encodeURIComponent(r.uid)}`}>{r.uid.slice(0, 8)}</Link>
                  </td>
                  <td>{r.plan_name}</td>
                  <td>
                    <span className={`badge status-${r.status}`}>{r.status}</span>
                  </td>
                  <td>{formatTime(r.start_time)}</td>
                  <td>{r.end_time ? formatDuration(r.end_time - r.start_time) : '—'}</td>
                  <td>{Object.values(r.num_events ?? {}).reduce((a, b) => a + b, 0)}</td>
                  <td>{String(r.metadata?.submitted_by ?? '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="button-row">
          <button
            type="button"
            className="secondary"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
          >
            Newer
          </button>
          <span className="muted">
            {total === 0 ? 0 : offset + 1}–{Math.min(total, offset + PAGE_SIZE)} of {total}
          </span>
          <button
            type="button"
            className="secondary"
            disabled={offset + PAGE_SIZE >= total}
            onClick={() => setOffset(offset + PAGE_SIZE)}
          >
            Older
          </button>
        </div>
      </div>
    </section>
  );
}

function RunDetail({ uid }: { uid: string }) {
  const record = useAsync(
    (signal) => getJson<RunDetailReply>(`/api/v1/runs/${encodeURIComponent(uid)}`, signal),
    [uid],
  );
  const docs = useAsync((signal) => loadRunDocuments(uid, signal), [uid]);
  useStreamMessages('runs', 'run.state', (m) => {
    if ((m as { uid?: string }).uid === uid) {
      record.reload();
      docs.reload();
    }
  });
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const r = record.data;
  const files = useMemo(() => r?.files ?? r?.live?.files ?? [], [r]);

  return (
    <section aria-labelledby="run-title">
      <p>
        <Link to="/runs">← All runs</Link>
      </p>
      <h1 id="run-title">Run {uid.slice(0, 8)}</h1>
      <ErrorText error={record.error} />
      {r ? (
        <div className="summary-row">
          <div className="card">
            <h2>Metadata</h2>
            <dl className="facts">
              <div className="fact">
                <dt>uid</dt>
                <dd>
                  <code>{uid}</code>
                </dd>
              </div>
              <div className="fact">
                <dt>Plan</dt>
                <dd>{r.plan_name ?? r.live?.plan}</dd>
              </div>
              <div className="fact">
                <dt>Status</dt>
                <dd>
                  <span className={`badge status-${r.status ?? r.live?.state}`}>
                    {r.status ?? r.live?.state}
                  </span>{' '}
                  {r.reason ?? r.live?.reason ?? ''}
                  {r.live?.state === 'suspended' && r.live.suspended_at !== null ? (
                    <SuspensionNote
                      reason={r.live.suspended_by.join('; ')}
                      since={r.live.suspended_at}
                      failsAt={r.live.fails_at}
                    />
                  ) : null}
                </dd>
              </div>
              <div className="fact">
                <dt>Started</dt>
                <dd>{formatTime(r.start_time ?? r.live?.started_at)}</dd>
              </div>
              <div className="fact">
                <dt>Ended</dt>
                <dd>{formatTime(r.end_time ?? r.live?.ended_at)}</dd>
              </div>
              <div className="fact">
                <dt>Arguments</dt>
                <dd>
                  <code className="details">{JSON.stringify(r.plan_args ?? r.live?.args ?? {})}</code>
                </dd>
              </div>
              <div className="fact">
                <dt>Metadata</dt>
                <dd>
                  <code className="details">{JSON.stringify(r.metadata ?? r.live?.metadata ?? {})}</code>
                </dd>
              </div>
            </dl>
          </div>
          <div className="card">
            <h2>Documents</h2>
            <ErrorText error={docs.error} />
            {docs.data ? (
              <ul aria-label="Documents summary">
                {Object.entries(docs.data.counts).map(([name, n]) => (
                  <li key={name}>
                    {name}: {n}
                  </li>
                ))}
                {docs.data.truncated ? <li>(only the first documents were loaded)</li> : null}
              </ul>
            ) : (
              <p>Loading documents…</p>
            )}
            <h2>Files</h2>
            {files.length === 0 ? <p className="muted">No files.</p> : null}
            <ul>
              {files.map((f) => {
                const name = f.split('/').pop() ?? f;
                return (
                  <li key={f}>
                    <button
                      type="button"
                      className="link-button"
                      onClick={() =>
                        download(
                          `/api/v1/runs/${encodeURIComponent(uid)}/files/${encodeURIComponent(name)}`,
                          name,
                        ).catch(setDownloadError)
                      }
                    >
                      Download {name}
                    </button>
                  </li>
                );
              })}
            </ul>
            <ErrorText error={downloadError} />
          </div>
        </div>
      ) : null}
      {docs.data ? (
        <div className="card">
          <h2>Data</h2>
          <RunPlot key={uid} data={docs.data.data} idPrefix="run-plot" />
        </div>
      ) : null}
    </section>
  );
}
