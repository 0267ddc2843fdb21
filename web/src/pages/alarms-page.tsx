import { type FormEvent, useState } from 'react';
import { getJson, query, sendJson } from '../api/http.ts';
import type { AlarmEvent, AlarmList, AlarmSnapshot } from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { useAsync, useCan, useStreamMessages } from '../hooks.ts';
import { formatTime } from '../live/format.ts';

const STATE_TEXT: Record<AlarmSnapshot['state'], string> = {
  normal: 'normal',
  unack_active: 'active, unacknowledged',
  ack_active: 'active, acknowledged',
  unack_rtn: 'cleared, unacknowledged',
  shelved: 'shelved',
};

/** Active and recent alarms coloured by severity; acknowledge with a comment, shelve, and the history. */
export function AlarmsPage() {
  const [view, setView] = useState<'active' | 'shelved' | 'all'>('active');
  const alarms = useAsync(() => getJson<AlarmList>(`/api/v1/alarms${query({ state: view })}`), [view]);
  const history = useAsync(() => getJson<AlarmEvent[]>('/api/v1/alarms/history?limit=100'), []);
  useStreamMessages('alarms', 'alarm.changed', () => {
    alarms.reload();
    history.reload();
  });
  const rates = alarms.data?.rates;

  return (
    <section aria-labelledby="alarms-title">
      <h1 id="alarms-title">Alarms</h1>
      {rates?.flood ? (
        <p className="banner warning" role="alert">
          Alarm flood: {rates.floodActivations} activations in the last 10 minutes.
        </p>
      ) : null}
      {rates && rates.chattering.length > 0 ? (
        <p className="banner warning">Chattering: {rates.chattering.join(', ')}</p>
      ) : null}
      <fieldset className="segmented">
        <legend className="visually-hidden">Which alarms</legend>
        {(['active', 'shelved', 'all'] as const).map((v) => (
          <label key={v}>
            <input
              type="radio"
              name="alarm-view"
              value={v}
              checked={view === v}
              onChange={() => setView(v)}
            />
            {v === 'active' ? 'Active and unacknowledged' : v === 'shelved' ? 'Shelved' : 'All configured'}
          </label>
        ))}
      </fieldset>
      <ErrorText error={alarms.error} />
      {alarms.data && alarms.data.alarms.length === 0 ? (
        <p className="muted">No alarms in this view.</p>
      ) : null}
      <div className="alarm-list">
        {(alarms.data?.alarms ?? []).map((a) => (
          <AlarmCard key={a.id} alarm={a} onChanged={alarms.reload} />
        ))}
      </div>
      <h2>History</h2>
      <ErrorText error={history.error} />
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Alarm</th>
              <th scope="col">Event</th>
              <th scope="col">Condition</th>
              <th scope="col">Value</th>
              <th scope="col">User</th>
              <th scope="col">Comment</th>
            </tr>
          </thead>
          <tbody>
            {(history.data ?? []).map((e, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: history rows have no id; the list is replaced whole
              <tr key={i} className={`severity-${e.severity}`}>
                <td>{formatTime(e.time)}</td>
                <td>{e.alarm}</td>
                <td>{e.event}</td>
                <td>{e.condition}</td>
                <td>{e.value ?? ''}</td>
                <td>{e.user ?? ''}</td>
                <td>{e.comment ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function AlarmCard({ alarm, onChanged }: { alarm: AlarmSnapshot; onChanged: () => void }) {
  const canAck = useCan('operator');
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const base = `/api/v1/alarms/${encodeURIComponent(alarm.id)}`;
  const idBase = `alarm-${alarm.id}`.replace(/[^A-Za-z0-9_-]/g, '-');

  const post = async (path: string, body: object) => {
    setBusy(true);
    setError(null);
    try {
      await sendJson('POST', `${base}/${path}`, body);
      setComment('');
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const ack = (e: FormEvent) => {
    e.preventDefault();
    void post('ack', { comment });
  };
  const shelve = (e: FormEvent) => {
    e.preventDefault();
    const duration = Number(minutes) * 60;
    if (reason.trim() === '' || !(duration > 0)) {
      setError(new Error('Shelving needs a reason and a duration above 0 minutes'));
      return;
    }
    void post('shelve', { reason, duration_s: duration });
  };

  return (
    <article
      className={`card alarm severity-${alarm.severity} priority-${alarm.priority} ${alarm.active ? 'is-active' : ''}`}
      aria-labelledby={`${idBase}-title`}
    >
      <header>
        <h2 id={`${idBase}-title`}>{alarm.id}</h2>
        <span className={`badge severity-${alarm.severity}`}>
          {alarm.severity === 'none' ? 'no alarm' : alarm.severity}
        </span>
        <output className="badge" aria-label={`${alarm.id} state`}>
          {STATE_TEXT[alarm.state]}
        </output>
      </header>
      <p>{alarm.description}</p>
      <dl className="alarm-facts">
        <div>
          <dt>Condition</dt>
          <dd>{alarm.condition}</dd>
        </div>
        <div>
          <dt>Value</dt>
          <dd>{alarm.value ?? '—'}</dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>{alarm.priority}</dd>
        </div>
        <div>
          <dt>Activated</dt>
          <dd>{formatTime(alarm.activated_at)}</dd>
        </div>
        {alarm.acked_at ? (
          <div>
            <dt>Acknowledged</dt>
            <dd>
              {formatTime(alarm.acked_at)} by {alarm.acked_by}
              {alarm.ack_comment ? `: ${alarm.ack_comment}` : ''}
            </dd>
          </div>
        ) : null}
        {alarm.shelved ? (
          <div>
            <dt>Shelved</dt>
            <dd>
              by {alarm.shelved.by} until {formatTime(alarm.shelved.until)}: {alarm.shelved.reason}
            </dd>
          </div>
        ) : null}
      </dl>
      {!alarm.acknowledged ? (
        <form className="inline-form" onSubmit={ack}>
          <label htmlFor={`${idBase}-comment`}>Comment</label>
          <input
            id={`${idBase}-comment`}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            disabled={!canAck || busy}
          />
          <button
            type="submit"
            disabled={!canAck || busy}
            title={canAck ? undefined : 'Needs the operator role'}
          >
            Acknowledge {alarm.id}
          </button>
        </form>
      ) : null}
      {alarm.shelved ? (
        <button
          type="button"
          disabled={!canAck || busy}
          onClick={() => void post('unshelve', { comment: '' })}
        >
          Unshelve {alarm.id}
        </button>
      ) : (
        <details>
          <summary>Shelve…</summary>
          <form className="inline-form" onSubmit={shelve}>
            <label htmlFor={`${idBase}-reason`}>Reason</label>
            <input
              id={`${idBase}-reason`}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              disabled={!canAck || busy}
            />
            <label htmlFor={`${idBase}-minutes`}>Minutes</label>
            <input
              id={`${idBase}-minutes`}
              type="number"
              min={1}
              value={minutes}
              onChange={(e) => setMinutes(e.target.value)}
              disabled={!canAck || busy}
            />
            <button type="submit" disabled={!canAck || busy}>
              Shelve {alarm.id}
            </button>
          </form>
        </details>
      )}
      <ErrorText error={error} />
    </article>
  );
}
