import type { LineReport } from '../api/types.ts';

const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

/** Downtime inside planned time by its reason: the alarm code active during the stop, or the state. */
export function DowntimeTable({ downtime }: { downtime: LineReport['kpis']['downtime'] }) {
  if (downtime.length === 0) return <p>No downtime in this window.</p>;
  return (
    <table aria-label="Downtime by reason">
      <thead>
        <tr>
          <th>Reason</th>
          <th>Stops</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {downtime.map((d) => (
          <tr key={d.reason}>
            <td>{d.reason}</td>
            <td>{d.stops}</td>
            <td>{minutes(d.durationMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
