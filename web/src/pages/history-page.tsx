import { useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import { getJson, query } from '../api/http.ts';
import { loadAllInstruments } from '../api/instruments.ts';
import type { HistoryReply, HistorySeries } from '../api/types.ts';
import { ErrorText } from '../components/error-text.tsx';
import { numericSignals, SignalPicker } from '../components/signal-picker.tsx';
import { useAsync } from '../hooks.ts';
import { seriesColor } from '../plots/colors.ts';
import { baseOptions, Plot, valueAxis } from '../plots/plot.tsx';

const PRESETS = [
  { label: 'Last 15 minutes', seconds: 900 },
  { label: 'Last hour', seconds: 3600 },
  { label: 'Last 6 hours', seconds: 6 * 3600 },
  { label: 'Last 24 hours', seconds: 86_400 },
  { label: 'Last 7 days', seconds: 7 * 86_400 },
];
const SELECTION_KEY = 'benchtop.history.signals';
const BUCKETS = 600;

interface Range {
  from: number;
  to: number;
}

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** Builds uPlot data and series for the history reply: a mean line with a min–max band per bucketed signal. */
function toPlot(series: HistorySeries[], units: Map<string, string | undefined>) {
  const tables: uPlot.AlignedData[] = [];
  const specs: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  let index = 1;
  series.forEach((s, i) => {
    const unit = units.get(s.signal);
    const scale = unit ?? 'value';
    const color = seriesColor(i);
    const label = unit ? `${s.signal} (${unit})` : s.signal;
    if (s.kind === 'raw') {
      const pts = s.points;
      tables.push([pts.map((p) => p.time / 1000), pts.map((p) => p.value)]);
      specs.push({ label, scale, stroke: color, width: 1.5 });
      index += 1;
    } else {
      const b = s.buckets;
      tables.push([
        b.map((p) => p.time / 1000),
        b.map((p) => p.mean),
        b.map((p) => p.min),
        b.map((p) => p.max),
      ]);
      specs.push({ label, scale, stroke: color, width: 1.5 });
      specs.push({ label: `${s.signal} min`, scale, stroke: `${color}55`, width: 0.5 });
      specs.push({ label: `${s.signal} max`, scale, stroke: `${color}55`, width: 0.5 });
      bands.push({ series: [index + 2, index + 1], fill: `${color}22` });
      index += 3;
    }
  });
  const data = tables.length > 0 ? uPlot.join(tables) : ([[]] as uPlot.AlignedData);
  const scales = [...new Set(series.map((s) => units.get(s.signal) ?? 'value'))];
  const axes: uPlot.Axis[] = [{}];
  scales.slice(0, 2).forEach((scale, i) => {
    axes.push(
      valueAxis({ scale, label: scale, side: i === 0 ? 3 : 1, ...(i > 0 ? { grid: { show: false } } : {}) }),
    );
  });
  return { data, specs, bands, axes };
}

/** The parameter log: pick signals and a time range; the server downsamples; zooming fetches more detail. */
export function HistoryPage() {
  const instruments = useAsync((signal) => loadAllInstruments(signal), []);
  const available = useMemo(() => numericSignals(instruments.data ?? []), [instruments.data]);
  const units = useMemo(() => new Map(available.map((s) => [s.key, s.unit])), [available]);
  const [signals, setSignals] = useState<string[]>(() => {
    try {
      return JSON.parse(localStorage.getItem(SELECTION_KEY) ?? '[]') as string[];
    } catch {
      return [];
    }
  });
  const [preset, setPreset] = useState<number | 'custom'>(3600);
  const [custom, setCustom] = useState<Range>(() => ({ from: Date.now() - 3600_000, to: Date.now() }));
  const [zoom, setZoom] = useState<Range | null>(null);
  /** "Now" for the presets; Refresh moves it on. */
  const [now, setNow] = useState(() => Date.now());

  const range = useMemo<Range>(() => {
    if (zoom) return zoom;
    if (preset === 'custom') return custom;
    return { from: now - preset * 1000, to: now };
  }, [zoom, preset, custom, now]);

  const history = useAsync(
    async (signal) => {
      if (signals.length === 0) return null;
      return getJson<HistoryReply>(
        `/api/v1/history${query({
          signals: signals.join(','),
          from: new Date(range.from).toISOString(),
          to: new Date(range.to).toISOString(),
          buckets: BUCKETS,
        })}`,
        signal,
      );
    },
    [signals.join(','), range.from, range.to],
  );

  const pick = (value: string[]) => {
    setSignals(value);
    localStorage.setItem(SELECTION_KEY, JSON.stringify(value));
  };

  const setZoomRef = useRef(setZoom);
  setZoomRef.current = setZoom;
  const plot = useMemo(() => {
    if (!history.data) return null;
    const { data, specs, bands, axes } = toPlot(history.data.series, units);
    const options = baseOptions({
      scales: { x: { time: true, range: [history.data.from / 1000, history.data.to / 1000] } },
      series: specs,
      bands,
      axes,
      hooks: {
        setSelect: [
          (u: uPlot) => {
            if (u.select.width < 5) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            // Zooming asks the server again: narrower range, same number of buckets, more detail.
            setZoomRef.current({ from, to });
          },
        ],
      },
      cursor: { drag: { x: true, y: false, setScale: false } },
    });
    return { data, options };
  }, [history.data, units]);

  const points =
    history.data?.series.reduce((n, s) => n + (s.kind === 'raw' ? s.points.length : s.buckets.length), 0) ??
    0;

  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">History</h1>
      <div className="history-layout">
        <form className="card controls" onSubmit={(e) => e.preventDefault()}>
          <SignalPicker
            id="history-signals"
            label="Signals"
            instruments={instruments.data ?? []}
            value={signals}
            onChange={pick}
          />
          <div className="field">
            <label htmlFor="history-range">Time range</label>
            <select
              id="history-range"
              value={String(preset)}
              onChange={(e) => {
                setZoom(null);
                setNow(Date.now());
                setPreset(e.target.value === 'custom' ? 'custom' : Number(e.target.value));
              }}
            >
              {PRESETS.map((p) => (
                <option key={p.seconds} value={p.seconds}>
                  {p.label}
                </option>
              ))}
              <option value="custom">Custom…</option>
            </select>
          </div>
          {preset === 'custom' ? (
            <>
              <div className="field">
                <label htmlFor="history-from">From</label>
                <input
                  id="history-from"
                  type="datetime-local"
                  value={toLocalInput(custom.from)}
                  onChange={(e) => setCustom((c) => ({ ...c, from: new Date(e.target.value).getTime() }))}
                />
              </div>
              <div className="field">
                <label htmlFor="history-to">To</label>
                <input
                  id="history-to"
                  type="datetime-local"
                  value={toLocalInput(custom.to)}
                  onChange={(e) => setCustom((c) => ({ ...c, to: new Date(e.target.value).getTime() }))}
                />
              </div>
            </>
          ) : null}
          <div className="button-row">
            <button type="button" onClick={() => setNow(Date.now())}>
              Refresh
            </button>
            <button type="button" className="secondary" disabled={!zoom} onClick={() => setZoom(null)}>
              Reset zoom
            </button>
          </div>
          <p className="hint">
            Drag across the plot to zoom in; the server sends finer buckets for the narrower range.
          </p>
        </form>
        <div className="card">
          <ErrorText error={instruments.error ?? history.error} />
          {signals.length === 0 ? <p className="muted">Pick one or more signals.</p> : null}
          {plot ? (
            <>
              <Plot options={plot.options} data={plot.data} label="History plot" height={360} />
              <p className="muted">
                <output aria-label="History summary">
                  {history.data!.series.length} signals, {points}{' '}
                  {history.data!.series.some((s) => s.kind === 'buckets') ? 'buckets' : 'points'} from{' '}
                  {new Date(history.data!.from).toLocaleString()} to{' '}
                  {new Date(history.data!.to).toLocaleString()}
                  {zoom ? ' (zoomed)' : ''}
                </output>
              </p>
            </>
          ) : null}
        </div>
      </div>
    </section>
  );
}
