import { useEffect, useRef, useState } from 'react';
import { type PresenterStatus, StimulusPresenter } from '../stimulus/presenter.ts';

/**
 * `/stimulus?display=ID`: the stimulus monitor's full-screen page. It draws the drifting bar
 * itself (WebGL, from the display's protocol) and reports each frame to the StimulusDisplay
 * instrument; the small overlay (press `i` to hide) shows the clock offset and the counts.
 */
export function StimulusPage({ display }: { display: string | null }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [status, setStatus] = useState<PresenterStatus | null>(null);
  const [overlay, setOverlay] = useState(true);
  const photodiode = new URLSearchParams(location.search).get('photodiode') === '1';

  useEffect(() => {
    if (!display || !canvas.current) return;
    const presenter = new StimulusPresenter(display, canvas.current, setStatus, photodiode);
    void presenter.start();
    return () => presenter.stop();
  }, [display, photodiode]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'i') setOverlay((v) => !v);
      if (e.key === 'f') void document.documentElement.requestFullscreen?.();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (!display)
    return (
      <main className="centered">
        <p role="alert">
          Open this page as /stimulus?display=ID, with the id of a StimulusDisplay instrument.
        </p>
      </main>
    );
  const offset = status?.offset;
  return (
    <div className="stimulus-screen">
      <canvas ref={canvas} aria-label="Stimulus" />
      {overlay ? (
        <div className="stimulus-overlay">
          <div>
            {display}: <output aria-label="Stimulus state">{status?.state ?? 'loading'}</output>
          </div>
          <div>
            clock offset{' '}
            <output aria-label="Clock offset">{offset ? offset.offsetMs.toFixed(1) : '…'}</output> ±{' '}
            <output aria-label="Clock uncertainty">{offset ? offset.uncertaintyMs.toFixed(1) : '…'}</output>{' '}
            ms
          </div>
          <div>
            frame <output aria-label="Frame index">{status?.index ?? -1}</output> / {status?.frameCount ?? 0},
            presented <output aria-label="Frames presented">{status?.presented ?? 0}</output>, missed
            refreshes <output aria-label="Missed refreshes">{status?.missedRefreshes ?? 0}</output>
          </div>
          <div>
            refresh{' '}
            {status?.measuredRefreshHz ? `${status.measuredRefreshHz.toFixed(1)} Hz measured` : 'measuring…'}
            {status?.measuredRefreshHz &&
            status.refreshHz &&
            Math.abs(status.measuredRefreshHz - status.refreshHz) > 0.05 * status.refreshHz
              ? `, but the protocol is for ${status.refreshHz} Hz: frames will be late`
              : ''}
          </div>
          {status?.error ? <div role="alert">{status.error}</div> : null}
          <div className="hint">f: full screen · i: hide this</div>
        </div>
      ) : null}
    </div>
  );
}
