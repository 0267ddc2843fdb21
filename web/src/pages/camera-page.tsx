import { useEffect, useMemo, useState } from 'react';
import { sendJson } from '../api/http.ts';
import { instrumentPath, isCamera, loadAllInstruments } from '../api/instruments.ts';
import type { InstrumentDetail, SignalDescription } from '../api/types.ts';
import { CameraView, type PreviewRect } from '../camera/camera-view.tsx';
import type { Preview } from '../camera/preview.ts';
import { ErrorText } from '../components/error-text.tsx';
import { LiveValue } from '../components/live-value.tsx';
import { SignalControl, writeSignal } from '../components/signal-control.tsx';
import { useAsync, useCan } from '../hooks.ts';
import { live } from '../live/live-store.ts';
import { pollSignals, readSignal } from '../live/signal-poller.ts';
import { Link, navigate } from '../router.tsx';

/** Camera settings offered next to the view, when the camera has them. */
const CONTROLS = ['exposure_ms', 'binning', 'roi.x', 'roi.y', 'roi.width', 'roi.height', 'trigger_mode'];
const READOUTS = [
  'acquiring',
  'frame_rate',
  'frame_rate_max',
  'frames_acquired',
  'frames_dropped',
  'temperature',
  'bit_depth',
];

/** Where an ROI drawn on the preview lies on the sensor (unbinned pixels), snapped to whole binned pixels. */
export function sensorRoi(
  rect: PreviewRect,
  preview: Preview,
  current: { x: number; y: number; binning: number },
  sensor: { width: number; height: number },
) {
  const { header } = preview;
  // preview pixel → frame pixel → unbinned sensor pixel, offset by the ROI the frame came from
  const toSensor = (header.source_width / header.width) * current.binning;
  const bin = current.binning;
  const snap = (v: number) => Math.round(v / bin) * bin;
  const x = Math.max(0, snap(current.x + rect.x * toSensor));
  const y = Math.max(0, snap(current.y + rect.y * toSensor));
  const width = Math.max(bin, Math.min(sensor.width - x, snap(rect.width * toSensor)));
  const height = Math.max(bin, Math.min(sensor.height - y, snap(rect.height * toSensor)));
  return { x, y, width, height };
}

function numberOf(key: string, fallback: number): number {
  const v = live.get(key)?.value;
  return typeof v === 'number' ? v : fallback;
}

/** Live camera view with its controls: start/stop, snap, exposure, binning, ROI (typed or drawn), save. */
export function CameraPage(props: { id: string | null }) {
  const all = useAsync((signal) => loadAllInstruments(signal), []);
  const cameras = useMemo(() => (all.data ?? []).filter(isCamera), [all.data]);
  useEffect(() => {
    const first = cameras[0];
    if (props.id === null && first) navigate(`/camera/${encodeURIComponent(first.id)}`, { replace: true });
  }, [props.id, cameras]);
  const camera = cameras.find((c) => c.id === props.id);

  return (
    <section aria-labelledby="camera-title">
      <h1 id="camera-title">Camera{camera ? `: ${camera.id}` : ''}</h1>
      {cameras.length > 1 ? (
        <nav className="tabs" aria-label="Cameras">
          {cameras.map((c) => (
            <Link
              key={c.id}
              to={`/camera/${encodeURIComponent(c.id)}`}
              aria-current={c.id === props.id ? 'page' : undefined}
            >
              {c.id}
            </Link>
          ))}
        </nav>
      ) : null}
      <ErrorText error={all.error} />
      {all.data && cameras.length === 0 ? <p className="muted">No camera is configured.</p> : null}
      {camera ? <CameraPanel key={camera.id} camera={camera} /> : null}
    </section>
  );
}

function CameraPanel({ camera }: { camera: InstrumentDetail }) {
  const canOperate = useCan('operator');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [roiNote, setRoiNote] = useState<string | null>(null);
  const signal = (name: string) => camera.signals.find((s) => s.name === name);
  const controls = CONTROLS.map(signal).filter((s): s is SignalDescription => s?.writable === true);
  const readouts = READOUTS.map(signal).filter((s): s is SignalDescription => s?.readable === true);
  const hasAction = (name: string) => camera.actions.some((a) => a.name === name);
  const roiWidth = signal('roi.width');
  const roiHeight = signal('roi.height');
  const sensor = { width: roiWidth?.limits?.max ?? 2048, height: roiHeight?.limits?.max ?? 2048 };

  const unmonitored = useMemo(
    () => camera.signals.filter((s) => s.readable && !s.monitored).map((s) => s.name),
    [camera],
  );
  useEffect(() => pollSignals(camera.id, unmonitored), [camera.id, unmonitored]);

  const call = async (action: string, args: Record<string, unknown> = {}) => {
    setBusy(action);
    setError(null);
    try {
      await sendJson('POST', `${instrumentPath(camera.id)}/actions/${encodeURIComponent(action)}`, { args });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const applyRoi = async (roi: { x: number; y: number; width: number; height: number }) => {
    setRoiNote(`ROI x ${roi.x}, y ${roi.y}, ${roi.width} × ${roi.height} px`);
    if (hasAction('set_roi')) {
      // All four at once: written one by one, an intermediate region might not fit the sensor.
      await call('set_roi', roi);
      // The ROI signals are not published by the camera: read them back now, not on the poller's next turn.
      await Promise.all(
        ['roi.x', 'roi.y', 'roi.width', 'roi.height']
          .filter((name) => signal(name))
          .map((name) => readSignal(camera.id, name).catch(() => {})),
      );
      return;
    }
    setError(null);
    try {
      for (const name of ['roi.x', 'roi.y', 'roi.width', 'roi.height'] as const) {
        const desc = signal(name);
        if (desc) await writeSignal(camera.id, desc, roi[name.slice(4) as 'x' | 'y' | 'width' | 'height']);
      }
    } catch (e) {
      setError(e);
    }
  };

  const onRoi = (rect: PreviewRect, preview: Preview) => {
    const current = {
      x: numberOf(`${camera.id}.roi.x`, 0),
      y: numberOf(`${camera.id}.roi.y`, 0),
      binning: numberOf(`${camera.id}.binning`, 1),
    };
    void applyRoi(sensorRoi(rect, preview, current, sensor));
  };

  const roleHint = canOperate ? undefined : 'Needs the operator role';
  return (
    <div className="camera-layout">
      <div className="card">
        <div className="button-row">
          <button
            type="button"
            disabled={!canOperate || busy !== null}
            title={roleHint}
            onClick={() => void call('start_live')}
          >
            Start live
          </button>
          <button
            type="button"
            disabled={!canOperate || busy !== null}
            title={roleHint}
            onClick={() => void call('stop')}
          >
            Stop
          </button>
          {hasAction('snap') ? (
            <button
              type="button"
              disabled={!canOperate || busy !== null}
              title={roleHint}
              onClick={() => void call('snap')}
            >
              Snap
            </button>
          ) : null}
          <button
            type="button"
            className="secondary"
            disabled={!canOperate || busy !== null}
            title={roleHint}
            onClick={() => void applyRoi({ x: 0, y: 0, width: sensor.width, height: sensor.height })}
          >
            Full frame
          </button>
          {busy ? <span className="muted">{busy}…</span> : null}
        </div>
        <ErrorText error={error} />
        {roiNote ? <p className="muted">Last ROI request: {roiNote}</p> : null}
        <CameraView instrument={camera.id} canSetRoi={canOperate} onRoi={onRoi} />
      </div>
      <div className="side-column">
        <div className="card">
          <h2>Status</h2>
          <dl className="values">
            {readouts.map((s) => (
              <div key={s.name}>
                <dt>{s.name}</dt>
                <dd>
                  <LiveValue
                    signal={`${camera.id}.${s.name}`}
                    {...(s.precision !== undefined ? { precision: s.precision } : {})}
                    {...(s.unit ? { unit: s.unit } : {})}
                  />
                </dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="card">
          <h2>Settings</h2>
          <table className="signals compact">
            <tbody>
              {controls.map((s) => (
                <tr key={s.name}>
                  <th scope="row">{s.name}</th>
                  <td>
                    <LiveValue
                      signal={`${camera.id}.${s.name}`}
                      label={`${s.name} value`}
                      {...(s.precision !== undefined ? { precision: s.precision } : {})}
                      {...(s.unit ? { unit: s.unit } : {})}
                    />
                  </td>
                  <td>
                    <SignalControl instrument={camera.id} desc={s} canWrite={canOperate} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
