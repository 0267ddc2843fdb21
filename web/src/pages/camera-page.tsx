import { useEffect, useMemo, useState } from 'react';
import { type CameraSignalRole, cameraCapability } from '../../../src/core/capabilities.ts';
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

/** Camera settings offered next to the view (by role: each camera names its own signals), when it has them. */
const CONTROLS: CameraSignalRole[] = [
  'exposure',
  'binning',
  'roi_x',
  'roi_y',
  'roi_width',
  'roi_height',
  'trigger_mode',
];
/** Read-outs first by role; the camera's other read-only signals follow. */
const READOUTS: CameraSignalRole[] = ['acquiring', 'frame_rate', 'frames_dropped'];
const ROI_ROLES = { x: 'roi_x', y: 'roi_y', width: 'roi_width', height: 'roi_height' } as const;

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
  const roles = cameraCapability(camera.capabilities) ?? { kind: 'camera', signals: {}, actions: {} };
  const signal = (name: string | undefined) => camera.signals.find((s) => s.name === name);
  const byRole = (role: CameraSignalRole) => signal(roles.signals[role]);
  const controls = CONTROLS.map(byRole).filter((s): s is SignalDescription => s?.writable === true);
  const standardReadouts = READOUTS.map(byRole).filter((s): s is SignalDescription => s?.readable === true);
  const readouts = [
    ...standardReadouts,
    ...camera.signals.filter((s) => s.readable && !s.writable && !standardReadouts.includes(s)),
  ];
  const actionName = roles.actions;
  const roiWidth = byRole('roi_width');
  const roiHeight = byRole('roi_height');
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
    const roiSignals = (['x', 'y', 'width', 'height'] as const).map((key) => ({
      key,
      desc: byRole(ROI_ROLES[key]),
    }));
    if (actionName.set_roi) {
      // All four at once: written one by one, an intermediate region might not fit the sensor.
      await call(actionName.set_roi, roi);
      // The ROI signals are not published by the camera: read them back now, not on the poller's next turn.
      await Promise.all(
        roiSignals.flatMap(({ desc }) => (desc ? [readSignal(camera.id, desc.name).catch(() => {})] : [])),
      );
      return;
    }
    setError(null);
    try {
      for (const { key, desc } of roiSignals) {
        if (desc) await writeSignal(camera.id, desc, roi[key]);
      }
    } catch (e) {
      setError(e);
    }
  };

  const onRoi = (rect: PreviewRect, preview: Preview) => {
    const current = {
      x: numberOf(`${camera.id}.${roles.signals.roi_x}`, 0),
      y: numberOf(`${camera.id}.${roles.signals.roi_y}`, 0),
      binning: numberOf(`${camera.id}.${roles.signals.binning}`, 1),
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
            onClick={() => actionName.start_live && void call(actionName.start_live)}
          >
            Start live
          </button>
          <button
            type="button"
            disabled={!canOperate || busy !== null}
            title={roleHint}
            onClick={() => actionName.stop_live && void call(actionName.stop_live)}
          >
            Stop
          </button>
          {actionName.snap ? (
            <button
              type="button"
              disabled={!canOperate || busy !== null}
              title={roleHint}
              onClick={() => actionName.snap && void call(actionName.snap)}
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
