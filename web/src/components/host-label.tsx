/**
 * The agent host an instrument on another machine is attached to, as the API gives it. The
 * hub's own instruments (`benchtop start`, or a hub's local ones) have no host in the API, so
 * nothing is shown for them rather than a name the server never said. A stale or stopped agent
 * shows in the instrument's state and last error, which sit next to this label.
 */
export function HostLabel(props: { id: string; host: string | undefined }) {
  if (props.host === undefined) return null;
  return (
    <output className="host-label" aria-label={`${props.id} host`} title="Agent host">
      {props.host}
    </output>
  );
}
