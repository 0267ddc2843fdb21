/** An instrument's life-cycle state, coloured: ready green, restarting/starting amber, failed/faulted red. */
export function StateBadge(props: { state: string; label: string }) {
  return (
    <output className={`badge state-${props.state}`} aria-label={props.label}>
      {props.state}
    </output>
  );
}

/** healthy / degraded / unhealthy. */
export function HealthBadge(props: { status: string; label: string }) {
  return (
    <output className={`badge health-${props.status}`} aria-label={props.label}>
      {props.status}
    </output>
  );
}
