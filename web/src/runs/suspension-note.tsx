import { useEffect, useState } from 'react';
import { formatDuration } from '../live/format.ts';

/**
 * A suspended run's note: why, for how long (ticking), and when it fails unless the
 * instrument is back. Times are the server's, in seconds since the epoch.
 */
export function SuspensionNote({
  reason,
  since,
  failsAt,
}: {
  reason: string | null;
  since: number;
  failsAt: number | null;
}) {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, []);
  return (
    <output className="run-suspension" aria-label="Suspension">
      Suspended for {formatDuration(Math.max(0, now - since))}
      {reason ? `: ${reason}` : ''}
      {failsAt !== null ? ` — fails in ${formatDuration(Math.max(0, failsAt - now))} unless it is back` : ''}
    </output>
  );
}
