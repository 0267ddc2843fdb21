import { useCallback, useEffect, useRef, useState } from 'react';
import type { LayerName } from '../../../src/analysis/retinotopy/analysis-layers.ts';
import { AnalysisParameters } from '../../../src/analysis/retinotopy/analysis-parameters.ts';
import {
  colourRamp,
  compositeRgba,
  type PaintedLayer,
} from '../../../src/analysis/retinotopy/layer-colours.ts';
import type { IsiOnlineMapsEvent } from '../../../src/imaging/isi-online-maps-event.ts';
import { download } from '../api/http.ts';
import { ErrorText } from '../components/error-text.tsx';
import { useCan, useStreamMessages } from '../hooks.ts';
import {
  analysisInfo,
  anatomicalCaption,
  fetchLayer,
  type IsiAnalysisInfo,
  type LoadedLayer,
  RESULTS_FILE,
  resultsFilePath,
  startAnalysis,
} from '../imaging/analysis-layers.ts';
import { navigate, useLocation } from '../router.tsx';

const DIRECTIONS = ['LR', 'RL', 'TB', 'BT'] as const;
type Direction = (typeof DIRECTIONS)[number];

/** The page's layers, bottom to top over the anatomical image. */
const LAYERS = [
  { key: 'azimuth', label: 'Azimuth', unit: '°' },
  { key: 'altitude', label: 'Altitude', unit: '°' },
  { key: 'raw_vfs', label: 'VFS', unit: '' },
  { key: 'magnitude', label: 'Magnitude', unit: 'ADU' },
  { key: 'coherence', label: 'Coherence', unit: '' },
  { key: 'areas', label: 'Areas', unit: '' },
  { key: 'boundaries', label: 'Boundaries', unit: '' },
] as const;
type LayerKey = (typeof LAYERS)[number]['key'];

interface LayerSetting {
  shown: boolean;
  opacity: number;
}

const INITIAL: Record<LayerKey, LayerSetting> = {
  azimuth: { shown: false, opacity: 0.7 },
  altitude: { shown: false, opacity: 0.7 },
  raw_vfs: { shown: true, opacity: 0.6 },
  magnitude: { shown: false, opacity: 0.7 },
  coherence: { shown: false, opacity: 0.7 },
  areas: { shown: false, opacity: 0.4 },
  boundaries: { shown: true, opacity: 1 },
};

/** The API layer behind each page layer (magnitude and coherence of the chosen direction). */
function apiLayer(key: LayerKey, direction: Direction): LayerName {
  if (key === 'magnitude' || key === 'coherence') return `${key}_${direction}`;
  return key;
}

/** Map parameters first, then segmentation; chunk_frames only changes how the file is read. */
const PARAMETER_KEYS = Object.keys(AnalysisParameters.properties).filter((k) => k !== 'chunk_frames');
const RECOMPUTE_DELAY_MS = 400;

/**
 * The retinotopy analysis of one session (issue 17): layers (azimuth, altitude, VFS, magnitude,
 * coherence, areas with boundaries) over the anatomical image, each with its colour scale and
 * opacity; the segmentation parameters, recomputed live as they change; export of the view as
 * PNG and of the results file. While the session is recorded its online maps follow from the
 * stream's `imaging` channel. The anatomical image is the session's snapshot under green light,
 * or its mean frame when none was taken (the caption says which).
 */
export function IsiAnalysisPage() {
  const { params } = useLocation();
  const session = params.get('session') ?? '';
  const [typed, setTyped] = useState(session);
  useEffect(() => setTyped(session), [session]);
  return (
    <section>
      <div className="page-header">
        <h1>ISI analysis</h1>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/imaging/analysis?session=${encodeURIComponent(typed.trim())}`);
        }}
      >
        <label className="field">
          <span>Session</span>
          <input
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            placeholder="isi/isi-….h5 or a guide-layout directory"
            size={48}
          />
        </label>
        <button type="submit">Open</button>
      </form>
      {session ? (
        <SessionAnalysis key={session} session={session} />
      ) : (
        <p className="hint">Choose a session.</p>
      )}
    </section>
  );
}

function SessionAnalysis({ session }: { session: string }) {
  const canAnalyse = useCan('operator');
  const [info, setInfo] = useState<IsiAnalysisInfo | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [layers, setLayers] = useState<Partial<Record<LayerName, LoadedLayer>>>({});
  const [settings, setSettings] = useState(INITIAL);
  const [direction, setDirection] = useState<Direction>('LR');
  const [edited, setEdited] = useState<Record<string, unknown>>({});
  const [generation, setGeneration] = useState(0);
  const canvas = useRef<HTMLCanvasElement>(null);

  const refreshInfo = useCallback(async () => {
    try {
      setInfo(await analysisInfo(session));
      setMissing(false);
    } catch (e) {
      if ((e as { status?: number }).status === 404) setMissing(true);
      else setError(e);
    }
  }, [session]);
  useEffect(() => {
    void refreshInfo();
  }, [refreshInfo]);

  const state = info?.state;
  const drawable = state === 'done' || state === 'recording';
  const wanted: LayerName[] = [
    'anatomical',
    ...LAYERS.filter((l) => settings[l.key].shown).map((l) => apiLayer(l.key, direction)),
  ];
  const wantedKey = wanted.join(',');

  // The layers shown, fetched again after a recompute or an online update (generation).
  // biome-ignore lint/correctness/useExhaustiveDependencies: wantedKey stands for wanted
  useEffect(() => {
    if (!drawable) return;
    const controller = new AbortController();
    Promise.all(wanted.map((name) => fetchLayer(session, name, controller.signal))).then(
      (loaded) => {
        if (controller.signal.aborted) return;
        setLayers(Object.fromEntries(loaded.map((l) => [l.name, l])));
        setError(null);
      },
      (e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      },
    );
    return () => controller.abort();
  }, [session, drawable, wantedKey, generation]);

  // Online maps while recording: at most one update a second from the server.
  useStreamMessages('imaging', 'isi.online_maps', (m) => {
    const event = m as unknown as IsiOnlineMapsEvent;
    if (event.analysis !== session) return;
    setGeneration((g) => g + 1);
    if (event.final) void refreshInfo();
    else setInfo((i) => (i ? { ...i, state: 'recording' } : i));
  });

  // Paint: anatomical at full opacity, then the shown layers in order.
  useEffect(() => {
    const base = layers.anatomical;
    const el = canvas.current;
    if (!base || !el) return;
    const stack: PaintedLayer[] = [{ layer: base, opacity: 1 }];
    for (const l of LAYERS) {
      const loaded = layers[apiLayer(l.key, direction)];
      if (settings[l.key].shown && loaded) stack.push({ layer: loaded, opacity: settings[l.key].opacity });
    }
    el.width = base.width;
    el.height = base.height;
    const rgba = compositeRgba(stack, base.width * base.height);
    el.getContext('2d')?.putImageData(new ImageData(rgba, base.width, base.height), 0, 0);
    el.dataset.painted = stack.map((s) => `${s.layer.name}:${s.opacity}`).join(',');
  }, [layers, settings, direction]);

  const analyse = useCallback(
    async (parameters: Record<string, unknown>) => {
      setBusy(true);
      try {
        setInfo(await startAnalysis(session, parameters));
        setMissing(false);
        const done = await analysisInfo(session, { wait: true });
        setInfo(done);
        setGeneration((g) => g + 1);
        setError(done.state === 'failed' ? new Error(done.error ?? 'the analysis failed') : null);
      } catch (e) {
        setError(e);
      } finally {
        setBusy(false);
      }
    },
    [session],
  );

  // Live recompute: a parameter edit is sent once the edits pause.
  const editedKey = JSON.stringify(edited);
  // biome-ignore lint/correctness/useExhaustiveDependencies: editedKey stands for edited
  useEffect(() => {
    if (Object.keys(edited).length === 0 || !info || info.state === 'recording') return;
    const timer = setTimeout(() => void analyse({ ...info.parameters, ...edited }), RECOMPUTE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [editedKey]);

  const exportPng = () => {
    canvas.current?.toBlob((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${session.replace(/[^\w.-]+/g, '_')}_layers.png`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, 'image/png');
  };

  return (
    <>
      <div className="button-row">
        <output aria-label="Analysis state" className="badge">
          {missing ? 'not analysed' : busy ? 'computing' : (state ?? '…')}
        </output>
        {info?.state === 'recording' ? (
          <span className="hint">online maps of the recording so far</span>
        ) : null}
        <button
          type="button"
          disabled={!canAnalyse || busy || state === 'recording'}
          title={canAnalyse ? undefined : 'needs the operator role'}
          onClick={() => void analyse(info?.parameters ?? {})}
        >
          Analyse
        </button>
        <button type="button" disabled={!layers.anatomical} onClick={exportPng}>
          Export PNG
        </button>
        <button
          type="button"
          disabled={state !== 'done'}
          onClick={() => void download(resultsFilePath(session), RESULTS_FILE).catch(setError)}
        >
          Download results file
        </button>
      </div>
      <ErrorText
        error={error ?? (info?.state === 'failed' ? new Error(info.error ?? 'the analysis failed') : null)}
      />
      <div className="camera-layout">
        <div>
          <canvas
            ref={canvas}
            role="img"
            aria-label="Analysis layers"
            style={{ width: '100%', maxWidth: 640, imageRendering: 'pixelated', background: '#000' }}
          />
          {layers.anatomical ? (
            <p className="hint" data-testid="anatomical-caption">
              {anatomicalCaption(layers.anatomical.source)}
            </p>
          ) : null}
        </div>
        <div className="side-column">
          <LayerControls
            settings={settings}
            setSettings={setSettings}
            direction={direction}
            setDirection={setDirection}
            layers={layers}
          />
          {info ? (
            <ParameterForm
              parameters={{ ...info.parameters, ...edited }}
              disabled={!canAnalyse || info.state === 'recording'}
              onChange={(key, value) => setEdited((e) => ({ ...e, [key]: value }))}
            />
          ) : null}
        </div>
      </div>
      {info ? <AreaTable info={info} /> : null}
    </>
  );
}

function LayerControls(props: {
  settings: Record<LayerKey, LayerSetting>;
  setSettings: (f: (s: Record<LayerKey, LayerSetting>) => Record<LayerKey, LayerSetting>) => void;
  direction: Direction;
  setDirection: (d: Direction) => void;
  layers: Partial<Record<LayerName, LoadedLayer>>;
}) {
  const set = (key: LayerKey, change: Partial<LayerSetting>) =>
    props.setSettings((s) => ({ ...s, [key]: { ...s[key], ...change } }));
  return (
    <fieldset className="field-group">
      <legend>Layers</legend>
      <label className="field">
        <span>Direction (magnitude, coherence)</span>
        <select value={props.direction} onChange={(e) => props.setDirection(e.target.value as Direction)}>
          {DIRECTIONS.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      </label>
      {LAYERS.map((l) => {
        const s = props.settings[l.key];
        const loaded = props.layers[apiLayer(l.key, props.direction)];
        return (
          <div
            key={l.key}
            className="field-item"
            style={{
              display: 'grid',
              gridTemplateColumns: '8rem 1fr',
              alignItems: 'center',
              gap: '0 0.5rem',
            }}
          >
            <label className="checkbox-field">
              <input
                type="checkbox"
                checked={s.shown}
                onChange={(e) => set(l.key, { shown: e.target.checked })}
              />
              {l.label}
            </label>
            <input
              type="range"
              min={0}
              max={100}
              value={Math.round(s.opacity * 100)}
              aria-label={`${l.label} opacity`}
              onChange={(e) => set(l.key, { opacity: Number(e.target.value) / 100 })}
            />
            {s.shown && loaded ? <ColourScale layer={loaded} label={l.label} unit={l.unit} /> : null}
          </div>
        );
      })}
    </fieldset>
  );
}

/** The layer's colour scale from its min to its max. */
function ColourScale({ layer, label, unit }: { layer: LoadedLayer; label: string; unit: string }) {
  const stops = colourRamp(layer, 12).map(([r, g, b]) => `rgb(${r | 0} ${g | 0} ${b | 0})`);
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  return (
    <div
      role="img"
      aria-label={`${label} colour scale ${fmt(layer.min)} to ${fmt(layer.max)}`}
      style={{ gridColumn: '1 / -1', display: 'flex', alignItems: 'center', fontSize: '0.85em' }}
    >
      <span>{fmt(layer.min)}</span>
      <span
        style={{
          display: 'inline-block',
          width: 120,
          height: 10,
          margin: '0 4px',
          background: `linear-gradient(to right, ${stops.join(', ')})`,
        }}
      />
      <span>
        {fmt(layer.max)} {unit}
      </span>
    </div>
  );
}

function ParameterForm(props: {
  parameters: Record<string, unknown>;
  disabled: boolean;
  onChange: (key: string, value: unknown) => void;
}) {
  const properties = AnalysisParameters.properties as Record<
    string,
    { type?: string; anyOf?: { const: string }[]; minimum?: number; description?: string }
  >;
  return (
    <fieldset
      className="field-group"
      disabled={props.disabled}
      style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '0.25rem 0.75rem' }}
    >
      <legend>Parameters</legend>
      {PARAMETER_KEYS.map((key) => {
        const schema = properties[key]!;
        const value = props.parameters[key];
        if (schema.type === 'boolean')
          return (
            <label key={key} className="checkbox-field" title={schema.description}>
              <input
                type="checkbox"
                checked={value === true}
                onChange={(e) => props.onChange(key, e.target.checked)}
              />
              {key}
            </label>
          );
        if (schema.anyOf)
          return (
            <label key={key} className="field">
              <span>{key}</span>
              <select value={String(value)} onChange={(e) => props.onChange(key, e.target.value)}>
                {schema.anyOf.map((o) => (
                  <option key={o.const}>{o.const}</option>
                ))}
              </select>
            </label>
          );
        return (
          <label key={key} className="field" title={schema.description}>
            <span>{key}</span>
            <input
              type="number"
              value={String(value)}
              min={schema.minimum}
              step={schema.type === 'integer' ? 1 : 'any'}
              onChange={(e) => {
                if (e.target.value !== '' && Number.isFinite(Number(e.target.value)))
                  props.onChange(key, Number(e.target.value));
              }}
            />
          </label>
        );
      })}
    </fieldset>
  );
}

function AreaTable({ info }: { info: IsiAnalysisInfo }) {
  return (
    <div className="table-scroll">
      <table aria-label="Visual areas">
        <thead>
          <tr>
            <th>Label</th>
            <th>Sign</th>
            <th>Area (px)</th>
            <th>AU (deg²)</th>
            <th>AS (deg²)</th>
          </tr>
        </thead>
        <tbody>
          {info.areas.map((a) => (
            <tr key={a.label}>
              <td>{a.label}</td>
              <td>{a.sign > 0 ? '+' : '−'}</td>
              <td>{a.area_px}</td>
              <td>{a.AU.toFixed(0)}</td>
              <td>{a.AS.toFixed(0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
