import { useEffect, useRef, useState } from 'react';
import { stream } from '../live/stream-connection.ts';
import { decodePreview } from './preview.ts';

interface FocusState {
  score: number;
  peak: number;
}

/** The newest focus score against the best seen since the last reset: 1 at the peak. */
export function focusFraction(state: FocusState): number {
  return state.peak > 0 ? Math.min(1, state.score / state.peak) : 0;
}

/**
 * Focus aid for a live camera: each preview's focus score (server side, from the full-resolution
 * frame: normalised Brenner gradient, independent of exposure) with a peak hold, so the user turns
 * the focus until the bar is full and the score stops rising. Reset the peak after moving to
 * another field of view.
 */
export function FocusAid(props: { instrument: string }) {
  const [state, setState] = useState<FocusState | null>(null);
  const peak = useRef(0);
  useEffect(
    () =>
      stream.onBinary((buffer) => {
        const p = decodePreview(buffer);
        if (!p || p.header.instrument !== props.instrument || typeof p.header.focus !== 'number') return;
        const score = p.header.focus;
        peak.current = Math.max(peak.current, score);
        setState({ score, peak: peak.current });
      }),
    [props.instrument],
  );
  const reset = () => {
    peak.current = state?.score ?? 0;
    setState((s) => (s ? { score: s.score, peak: s.score } : s));
  };
  if (!state) return <output aria-label="Focus">no preview yet</output>;
  const fraction = focusFraction(state);
  return (
    <div className="focus-aid">
      <output aria-label="Focus">
        focus {state.score.toPrecision(3)} · {Math.round(fraction * 100)} % of peak{' '}
        {state.peak.toPrecision(3)}
      </output>{' '}
      <meter aria-label="Focus relative to peak" min={0} max={1} low={0.9} optimum={1} value={fraction} />{' '}
      <button type="button" onClick={reset}>
        Reset focus peak
      </button>
    </div>
  );
}
