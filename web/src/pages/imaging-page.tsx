import { useEffect, useMemo, useState } from 'react';
import { cameraCapability } from '../../../src/core/capabilities.ts';
import {
  computeSchedule,
  frameAt,
  type ProtocolSchedule,
  type StimulusProtocol,
} from '../../../src/instruments/stimulus-display/protocol-schedule.ts';
import { sendJson } from '../api/http.ts';
import { instrumentPath, isCamera, loadAllInstruments } from '../api/instruments.ts';
import type { InstrumentDetail } from '../api/types.ts';
import { CameraView } from '../camera/camera-view.tsx';
import { FocusAid } from '../camera/focus-aid.tsx';
import { SaturationWarning } from '../camera/saturation-warning.tsx';
import { ErrorText } from '../components/error-text.tsx';
import { LiveValue } from '../components/live-value.tsx';
import { useAsync, useCan, useInterval } from '../hooks.ts';
import { type DisplayRunState, type IsiSessionInfo, isiApi, isiCommand } from '../imaging/isi-api.ts';
import { PlaybackPanel } from '../imaging/playback-panel.tsx';
import { StimulusPreview } from '../imaging/stimulus-preview.tsx';
import { pollSignals } from '../live/signal-poller.ts';

type Mode = 'preview' | 'record' | 'playback';
const MODES: Mode[] = ['preview', 'record', 'playback'];

interface RigParameters {
  acquisition: { mode: Mode };
  camera: { instrument: string };
  monitor: { display: string };
}

/**
 * The imaging rig (the guide's acquisition window): a mode switch; preview (live camera with its
 * histogram and a saturation warning, the anatomical snapshot, single stimulus frames); record
 * (the protocol's schedule, then a session with its progress); playback of a session with a
 * scrubber. The counters that say whether a recording is good (camera and display frames
 * dropped, the page's clock offset) stay in view in every mode.
 */
export function ImagingPage() {
  const all = useAsync((signal) => loadAllInstruments(signal), []);
  const params = useAsync(() => isiCommand<RigParameters>('get_all_parameters'), []);
  const [mode, setMode] = useState<Mode | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (params.data && mode === null) setMode(params.data.acquisition.mode);
  }, [params.data, mode]);

  const instruments = all.data ?? [];
  const camera =
    instruments.find((i) => i.id === params.data?.camera.instrument) ?? instruments.find(isCamera);
  const display =
    instruments.find((i) => i.id === params.data?.monitor.display) ??
    instruments.find((i) => i.type === 'StimulusDisplay');

  const switchMode = async (m: Mode) => {
    setMode(m);
    try {
      await isiCommand('set_acquisition_mode', { mode: m });
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section aria-labelledby="imaging-title">
      <h1 id="imaging-title">Imaging</h1>
      <ErrorText error={all.error ?? params.error ?? error} />
      <div className="tabs" role="radiogroup" aria-label="Mode">
        {MODES.map((m) => (
          <label key={m}>
            <input
              type="radio"
              name="imaging-mode"
              checked={mode === m}
              onChange={() => void switchMode(m)}
            />{' '}
            {m[0]!.toUpperCase() + m.slice(1)}
          </label>
        ))}
      </div>
      {all.data && (!camera || !display) ? (
        <p className="muted">The rig needs a camera and a StimulusDisplay instrument.</p>
      ) : null}
      {camera && display && mode ? <Rig mode={mode} camera={camera} display={display} /> : null}
    </section>
  );
}

function Rig(props: { mode: Mode; camera: InstrumentDetail; display: InstrumentDetail }) {
  const { mode, camera, display } = props;
  const canOperate = useCan('operator');
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [run, setRun] = useState<DisplayRunState | null>(null);
  const [session, setSession] = useState<string | null>(null);
  const protocol = useAsync(async () => {
    const reply = await sendJson<{ result: { protocol: StimulusProtocol; run: DisplayRunState | null } }>(
      'POST',
      `${instrumentPath(display.id)}/actions/protocol`,
      { args: {} },
    );
    return reply.result;
  }, [display.id]);
  const schedule = useMemo(
    () => (protocol.data ? computeSchedule(protocol.data.protocol) : null),
    [protocol.data],
  );
  const sessions = useAsync((signal) => isiApi.sessions(signal), []);
  const recording = sessions.data?.find((s) => s.state === 'recording') ?? null;

  const droppedSignal = cameraCapability(camera.capabilities)?.signals.frames_dropped;
  const dropped = camera.signals.find((s) => s.name === droppedSignal);
  useEffect(
    () => (dropped && !dropped.monitored ? pollSignals(camera.id, [dropped.name]) : undefined),
    [camera.id, dropped],
  );

  // The display's run (progress) and the session list, while something may be changing.
  useInterval(() => {
    void sendJson<{ result: { run: DisplayRunState | null } }>(
      'POST',
      `${instrumentPath(display.id)}/actions/protocol`,
      { args: {} },
    ).then((r) => setRun(r.result.run), setError);
    if (recording || mode !== 'preview') sessions.reload();
  }, 500);

  const command = async (name: string, params: Record<string, unknown> = {}) => {
    setError(null);
    try {
      return await isiCommand<Record<string, unknown>>(name, params);
    } catch (e) {
      setError(e);
      return null;
    }
  };
  const capture = async () => {
    const r = await command('capture_anatomical', { camera: camera.id });
    if (r)
      setNote(
        `Anatomical image: ${r.width} × ${r.height}, mean of ${r.frames} frames, ${Number(r.mean).toFixed(0)} counts on average; stored with ${r.session ?? 'the next session'}`,
      );
  };
  const hint = canOperate ? undefined : 'Needs the operator role';

  return (
    <div className="imaging-layout">
      <section className="card" aria-label="Counters">
        <dl className="values">
          <div>
            <dt>Camera frames dropped</dt>
            <dd>
              {dropped ? (
                <LiveValue signal={`${camera.id}.${dropped.name}`} label="Camera frames dropped" />
              ) : (
                '—'
              )}
            </dd>
          </div>
          <div>
            <dt>Display frames dropped</dt>
            <dd>
              <LiveValue signal={`${display.id}.frames_dropped`} label="Display frames dropped" />
            </dd>
          </div>
          <div>
            <dt>Display frames late</dt>
            <dd>
              <LiveValue signal={`${display.id}.frames_late`} label="Display frames late" />
            </dd>
          </div>
          <div>
            <dt>Clock offset</dt>
            <dd>
              <LiveValue
                signal={`${display.id}.clock_offset_ms`}
                precision={2}
                unit="ms"
                label="Clock offset"
              />{' '}
              ±{' '}
              <LiveValue
                signal={`${display.id}.clock_uncertainty_ms`}
                precision={2}
                unit="ms"
                label="Clock uncertainty"
              />
            </dd>
          </div>
        </dl>
      </section>
      <ErrorText error={error ?? protocol.error ?? sessions.error} />
      {note ? <p className="muted">{note}</p> : null}
      {mode !== 'playback' ? (
        <div className="camera-layout">
          <div className="card">
            <h2>Camera: {camera.id}</h2>
            <div className="button-row">
              <button
                type="button"
                disabled={!canOperate}
                title={hint}
                onClick={() => void command('start_preview', { camera: camera.id })}
              >
                Start preview
              </button>
              <button
                type="button"
                disabled={!canOperate}
                title={hint}
                onClick={() => void command('stop_preview', { camera: camera.id })}
              >
                Stop preview
              </button>
              <button type="button" disabled={!canOperate} title={hint} onClick={() => void capture()}>
                Capture anatomical
              </button>
            </div>
            <SaturationWarning instrument={camera.id} />
            <FocusAid instrument={camera.id} />
            <CameraView instrument={camera.id} canSetRoi={false} onRoi={() => {}} />
          </div>
          <div className="side-column">
            {schedule ? <ScheduleCard schedule={schedule} /> : null}
            {mode === 'preview' && protocol.data && schedule ? (
              <div className="card">
                <h2>Stimulus preview</h2>
                <StimulusPreview protocol={protocol.data.protocol} schedule={schedule} />
              </div>
            ) : null}
            {mode === 'record' && schedule ? (
              <div className="card">
                <h2>Acquisition</h2>
                <div className="button-row">
                  <button
                    type="button"
                    disabled={!canOperate || recording !== null}
                    title={hint}
                    onClick={() =>
                      void command('start_acquisition', { camera: camera.id, display: display.id }).then(() =>
                        sessions.reload(),
                      )
                    }
                  >
                    Record
                  </button>
                  <button
                    type="button"
                    disabled={!canOperate || recording === null}
                    title={hint}
                    onClick={() => void command('stop_acquisition', { display: display.id })}
                  >
                    Stop
                  </button>
                </div>
                <Progress run={run} schedule={schedule} recording={recording} />
              </div>
            ) : null}
          </div>
        </div>
      ) : (
        <div className="camera-layout">
          <SessionList sessions={sessions.data ?? []} selected={session} onSelect={setSession} />
          <div className="side-column">
            {session ? <PlaybackPanel key={session} session={session} /> : null}
          </div>
        </div>
      )}
      {mode !== 'playback' ? (
        <SessionList sessions={sessions.data ?? []} selected={null} onSelect={null} />
      ) : null}
    </div>
  );
}

function ScheduleCard({ schedule }: { schedule: ProtocolSchedule }) {
  return (
    <section className="card" aria-label="Protocol schedule">
      <h2>Protocol schedule</h2>
      <table className="signals compact">
        <thead>
          <tr>
            <th scope="col">Direction</th>
            <th scope="col">Sweep range</th>
            <th scope="col">Sweep</th>
            <th scope="col">Frequency</th>
          </tr>
        </thead>
        <tbody>
          {schedule.directions.map((d) => (
            <tr key={d.direction}>
              <th scope="row">{d.direction}</th>
              <td>
                {d.fromDeg.toFixed(1)}° → {d.toDeg.toFixed(1)}°
              </td>
              <td>
                {d.sweepS.toFixed(2)} s ({d.sweepFrames} frames)
              </td>
              <td>{d.frequencyHz.toFixed(3)} Hz</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <output aria-label="Schedule frames">{schedule.frameCount} frames</output> at {schedule.refreshHz} Hz,{' '}
        <output aria-label="Schedule duration">{schedule.totalS.toFixed(1)} s</output>
      </p>
    </section>
  );
}

function Progress(props: {
  run: DisplayRunState | null;
  schedule: ProtocolSchedule;
  recording: IsiSessionInfo | null;
}) {
  const { run, schedule, recording } = props;
  if (!run) return <p className="muted">No run yet.</p>;
  const index = Math.max(0, run.last_index);
  const frame = frameAt(schedule, index);
  const elapsed = run.last_index < 0 ? 0 : (run.last_index + 1) / schedule.refreshHz;
  const cycles = frame?.direction
    ? schedule.segments.filter((s) => s.phase === 'sweep' && s.direction === frame.direction).length
    : 0;
  return (
    <dl className="values" aria-label="Acquisition progress">
      <div>
        <dt>Session</dt>
        <dd>{recording?.id ?? '—'}</dd>
      </div>
      <div>
        <dt>State</dt>
        <dd>
          <output aria-label="Run state">{run.state}</output>
        </dd>
      </div>
      <div>
        <dt>Direction</dt>
        <dd>
          <output aria-label="Direction">{frame?.direction ?? (frame ? 'baseline' : '—')}</output>
        </dd>
      </div>
      <div>
        <dt>Sweep</dt>
        <dd>
          <output aria-label="Sweep">
            {frame?.sweep !== null && frame ? `${frame.sweep + 1} of ${cycles}` : '—'}
          </output>
        </dd>
      </div>
      <div>
        <dt>Frame</dt>
        <dd>
          <output aria-label="Stimulus frame">
            {run.last_index + 1} of {run.frame_count}
          </output>
        </dd>
      </div>
      <div>
        <dt>Elapsed / remaining</dt>
        <dd>
          <output aria-label="Elapsed">{elapsed.toFixed(1)} s</output> /{' '}
          <output aria-label="Remaining">{Math.max(0, schedule.totalS - elapsed).toFixed(1)} s</output>
        </dd>
      </div>
    </dl>
  );
}

function SessionList(props: {
  sessions: IsiSessionInfo[];
  selected: string | null;
  onSelect: ((id: string) => void) | null;
}) {
  return (
    <section className="card" aria-label="Sessions">
      <h2>Sessions</h2>
      {props.sessions.length === 0 ? <p className="muted">No session recorded yet.</p> : null}
      <table className="signals compact">
        <tbody>
          {[...props.sessions].reverse().map((s) => (
            <tr key={s.id} aria-current={s.id === props.selected ? 'true' : undefined}>
              <th scope="row">
                {props.onSelect ? (
                  <button type="button" className="link-button" onClick={() => props.onSelect?.(s.id)}>
                    {s.id}
                  </button>
                ) : (
                  s.id
                )}
              </th>
              <td data-testid={`session-state-${s.id}`}>{s.state}</td>
              <td>
                {s.result
                  ? `${s.result.cameraFrames} camera / ${s.result.stimulusFrames} stimulus frames, lost ${s.result.cameraFramesLost + s.result.cameraFramesRefused}`
                  : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
