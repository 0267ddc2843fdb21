/**
 * Alarm codes of the vision line (as the factory's guide names them) and Benchtop's own for the
 * line application. The tracker raises the vision and storage ones; the rest come from the PLC.
 */
export const LineAlarmCodes = {
  /** Part-present timeout (PLC). */
  F103: 'F103',
  /** Vision communication error: the camera failed or timed out on several parts in a row. */
  F205: 'F205',
  /** Pneumatic pressure low (PLC). */
  F301: 'F301',
  /** Cycle time exceeded (PLC). */
  W102: 'W102',
  /** Quality gate failure: a part left the station without a judgement (vision timeout). */
  W204: 'W204',
  /** Parts are waiting for the database (it is slow or down); none are lost while the queue holds. */
  STORAGE_BACKLOG: 'S101',
} as const;
