/**
 * Capabilities: what a client may rely on about an instrument beyond its list of signals. The
 * engine, CLI and dashboard decide "is this a camera / a motor" from these, never from signal
 * names; a capability maps each standard role to the driver's own signal or action name, so a
 * second camera type need not copy the first one's names.
 */

export const CapabilityKinds = ['camera', 'motor', 'points', 'detector'] as const;
export type Capability = (typeof CapabilityKinds)[number];

/** The standard camera roles, written once. */
export const CameraSignalRoles = [
  'exposure',
  'roi_x',
  'roi_y',
  'roi_width',
  'roi_height',
  'binning',
  'frame_rate',
  'frames_dropped',
  'acquiring',
  'trigger_mode',
] as const;
export type CameraSignalRole = (typeof CameraSignalRoles)[number];
/** `set_roi` takes `{ x, y, width, height }` (unbinned sensor pixels) and sets them at once. */
export const CameraActionRoles = ['start_live', 'stop_live', 'snap', 'set_roi'] as const;
export type CameraActionRole = (typeof CameraActionRoles)[number];

/**
 * A frame source (the driver's `frameSource`), with the signals and actions that fill the
 * standard roles; a role the camera does not have is left out.
 */
export interface CameraCapability {
  kind: 'camera';
  signals: Partial<Record<CameraSignalRole, string>>;
  actions: Partial<Record<CameraActionRole, string>>;
}

/** One axis: `name` tells axes apart (`axis1`). */
export interface MotorCapability {
  kind: 'motor';
  name: string;
  signals: { position: string; moving: string };
  actions: { stop: string; home?: string };
}

/** A PLC-style point table: each point is also a signal of the same name. */
export interface PointsCapability {
  kind: 'points';
  points: { name: string; address: string; type: string; unit?: string; writable: boolean }[];
}

/** A reading the engine may use as a detector (`value` names the signal). */
export interface DetectorCapability {
  kind: 'detector';
  signals: { value: string };
}

export type CapabilityDescription =
  | CameraCapability
  | MotorCapability
  | PointsCapability
  | DetectorCapability;

/** The instrument's camera capability, if it has one. */
export function cameraCapability(
  capabilities: readonly CapabilityDescription[] | undefined,
): CameraCapability | undefined {
  return capabilities?.find((c): c is CameraCapability => c.kind === 'camera');
}

/** The instrument's motor axes. */
export function motorCapabilities(
  capabilities: readonly CapabilityDescription[] | undefined,
): MotorCapability[] {
  return (capabilities ?? []).filter((c): c is MotorCapability => c.kind === 'motor');
}
