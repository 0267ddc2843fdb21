import type { Clock } from '../core/clock.ts';
import { BenchtopError } from '../core/errors.ts';
import { type DefectRecord, type Disposition, Dispositions } from './line-records.ts';
import type { LineStore } from './store/line-store.ts';

/**
 * Roles that may disposition a defect. The server's roles (viewer < operator < admin) gain
 * `supervisor` and `maintenance` with the line work; quality staff carry `quality`. Kept as
 * names here so this module needs nothing from the server.
 */
export const DISPOSITION_ROLES: readonly string[] = ['supervisor', 'quality', 'admin'];

export interface DispositionRequest {
  defectId: string;
  disposition: string;
  note?: string | null;
  /** Who asks, as the server's principal gives it. */
  user: { name: string; role: string };
}

/**
 * Accept, reject or rework one defect, by a supervisor, quality or admin: checks the role and
 * value, then stores the change and its audit entry (old and new disposition and note) in one
 * transaction. The HTTP route calls this; it maps the errors to 403 / 400 / 404.
 */
export async function disposeDefect(
  store: LineStore,
  clock: Clock,
  request: DispositionRequest,
): Promise<DefectRecord> {
  const { user, defectId } = request;
  if (!DISPOSITION_ROLES.includes(user.role)) {
    throw new BenchtopError(
      'FORBIDDEN',
      `Dispositioning a defect needs the supervisor or quality role (you: ${user.role})`,
      {
        role: user.role,
        needed: DISPOSITION_ROLES,
      },
    );
  }
  const disposition = request.disposition as Disposition;
  if (!Dispositions.includes(disposition) || disposition === 'pending') {
    throw new BenchtopError(
      'VALIDATION_FAILED',
      `disposition must be accept, reject or rework, not "${request.disposition}"`,
      {
        disposition: request.disposition,
      },
    );
  }
  const current = await store.defect(defectId);
  if (!current) throw new BenchtopError('NOT_FOUND', `No defect ${defectId}`, { defect: defectId });
  const note = request.note ?? null;
  const at = clock.now();
  return store.dispose(
    defectId,
    { disposition, note, by: user.name, at },
    {
      time: at,
      user: user.name,
      action: 'defect.disposition',
      resource: `defect/${defectId}`,
      oldValue: { disposition: current.disposition, note: current.note, by: current.dispositionBy },
      newValue: { disposition, note, by: user.name, role: user.role },
    },
  );
}
