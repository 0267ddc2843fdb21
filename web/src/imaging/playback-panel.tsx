import { useCallback, useEffect, useRef, useState } from 'react';
import { ErrorText } from '../components/error-text.tsx';
import { useInterval } from '../hooks.ts';
import { drawUint16Frame, isiApi, type PlaybackFrame, type PlaybackState } from './isi-api.ts';

/**
 * Playback mode: one session replayed at camera rate (the server keeps the replay's clock), with
 * play/pause and a scrubber over the frames readable now (a session still recording grows).
 */
export function PlaybackPanel(props: { session: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<PlaybackState | null>(null);
  const [frame, setFrame] = useState<PlaybackFrame | null>(null);
  const [error, setError] = useState<unknown>(null);
  const fetching = useRef(false);

  useEffect(() => {
    let cancelled = false;
    setState(null);
    setFrame(null);
    isiApi.startPlayback(props.session).then(
      (s) => !cancelled && setState(s),
      (e: unknown) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [props.session]);

  // One frame request at a time; a request made meanwhile (a scrub) is fetched right after.
  const wanted = useRef<{ id: string; index: number | undefined } | null>(null);
  const show = useCallback(async (id: string, index?: number) => {
    wanted.current = { id, index };
    if (fetching.current) return;
    fetching.current = true;
    try {
      while (wanted.current) {
        const next = wanted.current;
        wanted.current = null;
        const f = await isiApi.frame(next.id, next.index);
        setFrame(f);
        if (canvas.current) drawUint16Frame(canvas.current, f);
      }
    } catch (e) {
      setError(e);
    } finally {
      fetching.current = false;
    }
  }, []);

  useEffect(() => {
    if (state && !frame) void show(state.id, state.index);
  }, [state, frame, show]);

  // While playing: the frame due now, a few times a second.
  useInterval(() => {
    if (!state?.playing) return;
    void isiApi.playbackState(state.id).then((s) => {
      setState(s);
      void show(s.id);
    }, setError);
  }, 200);

  const control = async (action: 'play' | 'pause' | 'seek', index?: number) => {
    if (!state) return;
    try {
      const s = await isiApi.control(state.id, action, index);
      setState(s);
      if (action === 'seek') await show(s.id, s.index);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="card" aria-label="Playback">
      <h2>Playback: {props.session}</h2>
      <ErrorText error={error} />
      {state ? (
        <>
          <div className="button-row">
            <button type="button" onClick={() => void control(state.playing ? 'pause' : 'play')}>
              {state.playing ? 'Pause' : 'Play'}
            </button>
            <span className="muted">
              {state.direction} at {state.fps.toFixed(1)} fps
            </span>
          </div>
          <input
            type="range"
            aria-label="Scrubber"
            min={0}
            max={Math.max(0, state.frames - 1)}
            value={frame?.index ?? state.index}
            onChange={(e) => void control('seek', Number(e.target.value))}
          />
          <output aria-label="Playback position">
            {frame
              ? `frame ${frame.index + 1} of ${frame.frames}`
              : `frame ${state.index + 1} of ${state.frames}`}
          </output>{' '}
          <output aria-label="Playback frame time" className="muted">
            {frame
              ? `${new Date(frame.timestamp_us / 1000).toISOString()} (camera frame ${frame.sequence})`
              : ''}
          </output>
        </>
      ) : (
        <p className="muted">Opening the session…</p>
      )}
      <canvas ref={canvas} className="playback-frame" role="img" aria-label="Playback frame" />
    </section>
  );
}
