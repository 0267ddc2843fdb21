import { useEffect, useState } from 'react';
import { stream } from '../live/stream-connection.ts';
import { decodePreview, type PreviewHeader } from './preview.ts';

/**
 * Whether a preview shows a saturated camera: its upper level (the 99.5th percentile of the
 * frame's pixels, in counts) at the top of the camera's range, so at least 0.5 % of the pixels
 * are clipped. The preview's 8 bits are levelled and cannot say it themselves.
 */
export function isSaturated(header: PreviewHeader, fullScale: number): boolean {
  return header.high >= fullScale * 0.98;
}

/** A live warning under a camera view: "Saturated" while the previews say so. */
export function SaturationWarning(props: { instrument: string; fullScale?: number }) {
  const fullScale = props.fullScale ?? 65535;
  const [state, setState] = useState<{ saturated: boolean; high: number } | null>(null);
  useEffect(
    () =>
      stream.onBinary((buffer) => {
        const p = decodePreview(buffer);
        if (!p || p.header.instrument !== props.instrument) return;
        const saturated = isSaturated(p.header, fullScale);
        setState((s) =>
          s && s.saturated === saturated && s.high === p.header.high ? s : { saturated, high: p.header.high },
        );
      }),
    [props.instrument, fullScale],
  );
  if (!state) return <output aria-label="Saturation">no preview yet</output>;
  return (
    <output
      aria-label="Saturation"
      className={state.saturated ? 'banner error' : 'muted'}
      role={state.saturated ? 'alert' : undefined}
    >
      {state.saturated
        ? `Saturated: the brightest pixels reach ${state.high} of ${fullScale} counts — shorten the exposure`
        : `not saturated (99.5th percentile ${state.high} of ${fullScale} counts)`}
    </output>
  );
}
