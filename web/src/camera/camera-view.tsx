import { type PointerEvent, useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { formatNumber } from '../live/format.ts';
import { stream } from '../live/stream-connection.ts';
import { seriesColor } from '../plots/colors.ts';
import { baseOptions, Plot, valueAxis } from '../plots/plot.tsx';
import {
  decodePreview,
  histogram,
  levelsLut,
  lineProfile,
  type Preview,
  percentiles,
  toCounts,
} from './preview.ts';

export type Tool = 'roi' | 'line';

interface Point {
  x: number;
  y: number;
}

export interface PreviewRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Props {
  instrument: string;
  /** Operators may draw an ROI; it is reported in preview pixels with the preview it was drawn on. */
  canSetRoi: boolean;
  onRoi: (rect: PreviewRect, preview: Preview) => void;
}

const MAX_FPS = 10;
const MAX_WIDTH = 512;

/**
 * The live view: previews drawn to a canvas through a grey-level window (auto-contrast or
 * manual), a histogram with the window marked, an ROI or a line drawn with the mouse, the line
 * profile, and frame counters. Frames are handled outside React: decode, then one draw per
 * animation frame with the newest preview.
 */
export function CameraView(props: Props) {
  const { instrument } = props;
  const image = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const hist = useRef<HTMLCanvasElement>(null);
  const receivedOut = useRef<HTMLOutputElement>(null);
  const frameOut = useRef<HTMLOutputElement>(null);
  const fpsOut = useRef<HTMLOutputElement>(null);
  const gapsOut = useRef<HTMLOutputElement>(null);
  const windowOut = useRef<HTMLOutputElement>(null);
  const cursorOut = useRef<HTMLOutputElement>(null);
  const profilePlot = useRef<uPlot | null>(null);
  const latest = useRef<Preview | null>(null);
  const [auto, setAuto] = useState(true);
  const [black, setBlack] = useState(0);
  const [white, setWhite] = useState(255);
  const [tool, setTool] = useState<Tool>('roi');
  const toolRef = useRef(tool);
  toolRef.current = tool;
  const [hasLine, setHasLine] = useState(false);
  const levels = useRef({ auto, black, white });
  levels.current = { auto, black, white };
  const line = useRef<{ from: Point; to: Point } | null>(null);
  const drag = useRef<{ from: Point; to: Point } | null>(null);
  const redraw = useRef<() => void>(() => {});
  const onRoi = useRef(props.onRoi);
  onRoi.current = props.onRoi;

  useEffect(() => {
    let frame = 0;
    let received = 0;
    let lastFrameNumber: number | null = null;
    let gaps = 0;
    const arrivals: number[] = [];

    const draw = () => {
      frame = 0;
      const p = latest.current;
      const canvas = image.current;
      if (!p || !canvas) return;
      const { width, height } = p.header;
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
        if (overlay.current) {
          overlay.current.width = width;
          overlay.current.height = height;
        }
      }
      const bins = histogram(p.pixels);
      const [b, w] = levels.current.auto ? percentiles(bins) : [levels.current.black, levels.current.white];
      const lut = levelsLut(b, w);
      const ctx = canvas.getContext('2d')!;
      const img = ctx.createImageData(width, height);
      const out = img.data;
      for (let i = 0, j = 0; i < width * height; i++, j += 4) {
        const v = lut[p.pixels[i]!]!;
        out[j] = v;
        out[j + 1] = v;
        out[j + 2] = v;
        out[j + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      drawHistogram(hist.current, bins, b, w);
      if (windowOut.current)
        windowOut.current.textContent = `${formatNumber(toCounts(p.header, b))} – ${formatNumber(toCounts(p.header, w))}`;
      paintOverlay(overlay.current, drag.current, line.current, toolRef.current);
      if (line.current && profilePlot.current) {
        const prof = lineProfile(p, line.current.from, line.current.to);
        const scale = p.header.source_width / p.header.width;
        profilePlot.current.setData([prof.distance.map((d) => d * scale), prof.counts]);
      }
    };
    redraw.current = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };

    const off = stream.onBinary((buffer) => {
      const p = decodePreview(buffer);
      if (!p || p.header.instrument !== instrument) return;
      received++;
      const n = p.header.frame_number;
      // Frame numbers the server did not preview (rate limit) or the camera dropped.
      if (lastFrameNumber !== null && n > lastFrameNumber + 1) gaps += n - lastFrameNumber - 1;
      lastFrameNumber = n;
      const now = performance.now();
      arrivals.push(now);
      while (arrivals.length > 0 && now - arrivals[0]! > 2000) arrivals.shift();
      latest.current = p;
      if (receivedOut.current) receivedOut.current.textContent = String(received);
      if (frameOut.current) frameOut.current.textContent = String(n);
      if (gapsOut.current) gapsOut.current.textContent = String(gaps);
      if (fpsOut.current)
        fpsOut.current.textContent =
          arrivals.length > 1 ? ((arrivals.length - 1) / ((now - arrivals[0]!) / 1000)).toFixed(1) : '—';
      redraw.current();
    });
    const release = stream.addCamera({ instrument, max_fps: MAX_FPS, max_width: MAX_WIDTH });
    return () => {
      off();
      release();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [instrument]);

  const drawOverlay = () => paintOverlay(overlay.current, drag.current, line.current, toolRef.current);

  const toPreview = (e: PointerEvent<HTMLCanvasElement>): Point | null => {
    const p = latest.current;
    const c = overlay.current;
    if (!p || !c) return null;
    const rect = c.getBoundingClientRect();
    return {
      x: Math.min(p.header.width, Math.max(0, ((e.clientX - rect.left) / rect.width) * p.header.width)),
      y: Math.min(p.header.height, Math.max(0, ((e.clientY - rect.top) / rect.height) * p.header.height)),
    };
  };
  const allowed = tool === 'line' || props.canSetRoi;
  const onDown = (e: PointerEvent<HTMLCanvasElement>) => {
    const at = toPreview(e);
    if (!at || !allowed) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { from: at, to: at };
  };
  const onMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const at = toPreview(e);
    const p = latest.current;
    if (at && p && cursorOut.current) {
      const x = Math.min(p.header.width - 1, Math.floor(at.x));
      const y = Math.min(p.header.height - 1, Math.floor(at.y));
      cursorOut.current.textContent = `${x}, ${y}: ${formatNumber(toCounts(p.header, p.pixels[y * p.header.width + x]!))}`;
    }
    if (!drag.current || !at) return;
    drag.current.to = at;
    drawOverlay();
  };
  const onUp = () => {
    const d = drag.current;
    drag.current = null;
    const p = latest.current;
    if (!d || !p) return;
    if (tool === 'line') {
      if (Math.hypot(d.to.x - d.from.x, d.to.y - d.from.y) >= 2) {
        line.current = d;
        setHasLine(true);
      }
    } else {
      const rect = {
        x: Math.min(d.from.x, d.to.x),
        y: Math.min(d.from.y, d.to.y),
        width: Math.abs(d.to.x - d.from.x),
        height: Math.abs(d.to.y - d.from.y),
      };
      if (rect.width >= 2 && rect.height >= 2) onRoi.current(rect, p);
    }
    drawOverlay();
    redraw.current();
  };

  const save = () => {
    const c = image.current;
    const p = latest.current;
    if (!c || !p) return;
    c.toBlob((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${instrument}-frame-${p.header.frame_number}.png`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, 'image/png');
  };

  const profileOptions = useMemo(
    () =>
      baseOptions({
        scales: { x: { time: false } },
        series: [{ label: 'distance (px)' }, { label: 'counts', stroke: seriesColor(1), width: 1.5 }],
        axes: [{ label: 'distance along the line (frame px)' }, valueAxis()],
      }),
    [],
  );
  const emptyProfile = useMemo<uPlot.AlignedData>(() => [[], []], []);

  return (
    <div className="camera-view">
      <div className="camera-stage">
        <canvas
          ref={image}
          className="camera-image"
          width={512}
          height={512}
          aria-label={`Live view of ${instrument}`}
          role="img"
        />
        <canvas
          ref={overlay}
          className={`camera-overlay tool-${tool}`}
          width={512}
          height={512}
          onPointerDown={onDown}
          onPointerMove={onMove}
          onPointerUp={onUp}
          onPointerCancel={() => {
            drag.current = null;
            drawOverlay();
          }}
        />
      </div>
      <div className="camera-counters">
        <span>
          Previews received:{' '}
          <output ref={receivedOut} aria-label="Previews received">
            0
          </output>
        </span>
        <span>
          Frame:{' '}
          <output ref={frameOut} aria-label="Frame number">
            —
          </output>
        </span>
        <span>
          Preview rate:{' '}
          <output ref={fpsOut} aria-label="Preview rate">
            —
          </output>{' '}
          fps
        </span>
        <span title="Frame numbers the preview skipped: the server's preview rate limit, or frames the camera dropped">
          Frames not previewed:{' '}
          <output ref={gapsOut} aria-label="Frames not previewed">
            0
          </output>
        </span>
        <span>
          Cursor:{' '}
          <output ref={cursorOut} aria-label="Pixel under cursor">
            —
          </output>
        </span>
      </div>
      <div className="camera-tools">
        <fieldset className="segmented">
          <legend>Mouse draws</legend>
          <label>
            <input
              type="radio"
              name="camera-tool"
              checked={tool === 'roi'}
              disabled={!props.canSetRoi}
              onChange={() => setTool('roi')}
            />
            ROI
          </label>
          <label>
            <input
              type="radio"
              name="camera-tool"
              checked={tool === 'line'}
              onChange={() => setTool('line')}
            />
            Line profile
          </label>
        </fieldset>
        <button type="button" onClick={save}>
          Save PNG
        </button>
      </div>
      <div className="levels">
        <h3>Levels</h3>
        <canvas
          ref={hist}
          className="histogram"
          width={256}
          height={80}
          role="img"
          aria-label="Histogram of the preview"
        />
        <p>
          Window:{' '}
          <output ref={windowOut} aria-label="Display window in counts">
            —
          </output>{' '}
          counts
        </p>
        <label className="inline">
          <input
            type="checkbox"
            checked={auto}
            onChange={(e) => {
              setAuto(e.target.checked);
              redraw.current();
            }}
          />{' '}
          Auto-contrast
        </label>
        <label htmlFor="level-black">Black level</label>
        <input
          id="level-black"
          type="range"
          min={0}
          max={254}
          value={black}
          disabled={auto}
          onChange={(e) => {
            setBlack(Math.min(Number(e.target.value), white - 1));
            redraw.current();
          }}
        />
        <label htmlFor="level-white">White level</label>
        <input
          id="level-white"
          type="range"
          min={1}
          max={255}
          value={white}
          disabled={auto}
          onChange={(e) => {
            setWhite(Math.max(Number(e.target.value), black + 1));
            redraw.current();
          }}
        />
      </div>
      <div className="profile">
        <h3>Line profile</h3>
        {hasLine ? null : <p className="muted">Choose “Line profile” and drag across the image.</p>}
        <Plot
          options={profileOptions}
          data={emptyProfile}
          plotRef={profilePlot}
          label="Line profile"
          height={180}
        />
      </div>
    </div>
  );
}

/** The ROI being dragged (dashed) and the profile line, over the image. */
function paintOverlay(
  c: HTMLCanvasElement | null,
  d: { from: Point; to: Point } | null,
  line: { from: Point; to: Point } | null,
  tool: Tool,
): void {
  const ctx = c?.getContext('2d');
  if (!c || !ctx) return;
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.lineWidth = Math.max(1, c.width / 400);
  if (d && tool === 'roi') {
    ctx.strokeStyle = '#ffb000';
    ctx.setLineDash([6, 4]);
    ctx.strokeRect(
      Math.min(d.from.x, d.to.x),
      Math.min(d.from.y, d.to.y),
      Math.abs(d.to.x - d.from.x),
      Math.abs(d.to.y - d.from.y),
    );
    ctx.setLineDash([]);
  }
  const l = tool === 'line' && d ? d : line;
  if (l) {
    ctx.strokeStyle = '#00e5ff';
    ctx.beginPath();
    ctx.moveTo(l.from.x, l.from.y);
    ctx.lineTo(l.to.x, l.to.y);
    ctx.stroke();
  }
}

function drawHistogram(
  canvas: HTMLCanvasElement | null,
  bins: Uint32Array,
  black: number,
  white: number,
): void {
  const ctx = canvas?.getContext('2d');
  if (!canvas || !ctx) return;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  let max = 1;
  for (const n of bins) if (n > max) max = n;
  // Square-root scale: the background peak would otherwise flatten everything else.
  ctx.fillStyle = '#475569';
  for (let v = 0; v < 256; v++) {
    const h = Math.sqrt(bins[v]! / max) * height;
    ctx.fillRect((v * width) / 256, height - h, Math.ceil(width / 256), h);
  }
  ctx.fillStyle = 'rgba(255, 176, 0, 0.25)';
  ctx.fillRect((black * width) / 256, 0, ((white - black) * width) / 256, height);
}
