import { useState } from 'react';
import { sendJson } from '../api/http.ts';
import { instrumentPath } from '../api/instruments.ts';
import { ErrorText } from './error-text.tsx';

/**
 * Restarts an instrument (POST …/restart): the way out of `faulted` once the device is fixed,
 * without restarting Benchtop. A working instrument is only restarted after a confirmation,
 * since a run using it suspends meanwhile.
 */
export function RestartButton({ id, state, allowed }: { id: string; state: string; allowed: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const restart = async () => {
    if (state === 'ready' && !window.confirm(`Restart ${id}? It disconnects and connects again.`)) return;
    setBusy(true);
    setError(null);
    try {
      await sendJson('POST', `${instrumentPath(id)}/restart`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={state === 'faulted' ? 'danger' : undefined}
        disabled={!allowed || busy}
        title={allowed ? 'Reconnect with the restart count cleared' : 'Needs the operator role'}
        onClick={() => void restart()}
      >
        {busy ? 'Restarting…' : 'Restart'}
      </button>
      <ErrorText error={error} />
    </>
  );
}
