import type { LineDefect } from '../api/types.ts';

const boxText = (box: LineDefect['box']) =>
  box
    ? `${box.x.toFixed(0)}, ${box.y.toFixed(0)}${box.width !== undefined && box.height !== undefined ? ` (${box.width.toFixed(0)} × ${box.height.toFixed(0)})` : ''}`
    : '—';

/** The defects as they are found, newest first: when, which part, the class and where on it. */
export function DefectTimeline({ defects }: { defects: readonly LineDefect[] }) {
  if (defects.length === 0) return <p>No defects found yet.</p>;
  return (
    <table aria-label="Defect timeline">
      <thead>
        <tr>
          <th>Time</th>
          <th>Part</th>
          <th>Station</th>
          <th>Class</th>
          <th>Confidence</th>
          <th>Box</th>
        </tr>
      </thead>
      <tbody>
        {defects.map((d) => (
          <tr key={d.id}>
            <td>{new Date(d.time).toLocaleTimeString()}</td>
            <td>{d.partId}</td>
            <td>{d.station}</td>
            <td>{d.class}</td>
            <td>{d.confidence.toFixed(2)}</td>
            <td>{boxText(d.box)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
