/** An instrument's life-cycle state, coloured: ready green, restarting/starting amber, failed/faulted red. */
export function StateBadge(props: { state: string; label: string }) {
  return (
    <span className={`badge state-${props.state}`} role="status" aria-label={props.label}>
      {props.state}
    </span>
  );
}

/** healthy / degraded / unhealthy. */
export function HealthBadge(props: { status: string; label: string }) {
  return (
    <span className={`badge health-${props.status}`} role="status" aria-label={props.label}>
      {props.status}
    </span>
  );
}
