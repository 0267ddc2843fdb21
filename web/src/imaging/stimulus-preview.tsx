import { useEffect, useRef, useState } from 'react';
import {
  checkerPolarity,
  coordinateOf,
  frameAt,
  type ProtocolSchedule,
  type StimulusProtocol,
} from '../../../src/instruments/stimulus-display/protocol-schedule.ts';
import { BarRenderer } from '../stimulus/bar-renderer.ts';

/**
 * Single frames of the protocol, drawn here as the stimulus page draws them (same renderer, same
 * schedule), picked with a slider: what the animal will see at any point, without presenting.
 */
export function StimulusPreview(props: { protocol: StimulusProtocol; schedule: ProtocolSchedule }) {
  const { protocol, schedule } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<BarRenderer | null>(null);
  const [index, setIndex] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const frame = frameAt(schedule, Math.min(index, schedule.frameCount - 1));

  useEffect(() => {
    if (!canvas.current) return;
    try {
      renderer.current = new BarRenderer(canvas.current, protocol);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    return () => {
      renderer.current = null;
    };
  }, [protocol]);

  useEffect(() => {
    if (!renderer.current || !frame) return;
    renderer.current.draw({
      axis:
        frame.direction && frame.phase === 'sweep'
          ? coordinateOf(frame.direction) === 'azimuth'
            ? 1
            : 2
          : 0,
      barDeg: frame.barDeg ?? 0,
      polarity: checkerPolarity(protocol, frame.index / protocol.refreshHz),
      patch: -1,
    });
  }, [frame, protocol]);

  return (
    <div>
      <canvas
        ref={canvas}
        className="stimulus-preview"
        width={320}
        height={180}
        aria-label="Stimulus preview"
      />
      {error ? <p className="banner error">{error}</p> : null}
      <label>
        Frame{' '}
        <input
          type="range"
          aria-label="Preview frame"
          min={0}
          max={schedule.frameCount - 1}
          value={index}
          onChange={(e) => setIndex(Number(e.target.value))}
        />
      </label>
      <output aria-label="Previewed frame">
        {frame
          ? `frame ${frame.index}: ${frame.phase}${frame.direction ? ` ${frame.direction}` : ''}${frame.sweep !== null ? ` sweep ${frame.sweep + 1}` : ''}${frame.barDeg !== null ? `, bar at ${frame.barDeg.toFixed(1)}°` : ''}`
          : '—'}
      </output>
    </div>
  );
}
