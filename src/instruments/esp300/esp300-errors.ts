/**
 * ESP300 error codes and their meanings (ESP300 user's manual, appendix A, as quoted by
 * PyMeasure, InstrumentKit and others). Codes below 100 are controller-wide; from 100 up
 * a code is `axis * 100 + n`, with `n` from the per-axis table (108: axis 1 "MOTOR / STAGE
 * NOT CONNECTED").
 */
const generalErrors: Record<number, string> = {
  0: 'NO ERROR DETECTED',
  1: 'PCI COMMUNICATION TIME-OUT',
  4: 'EMERGENCY STOP ACTIVATED',
  6: 'COMMAND DOES NOT EXIST',
  7: 'PARAMETER OUT OF RANGE',
  8: 'CABLE INTERLOCK ERROR',
  9: 'AXIS NUMBER OUT OF RANGE',
  13: 'GROUP NUMBER MISSING',
  14: 'GROUP NUMBER OUT OF RANGE',
  15: 'GROUP NUMBER NOT ASSIGNED',
  16: 'GROUP NUMBER ALREADY ASSIGNED',
  17: 'GROUP AXIS OUT OF RANGE',
  18: 'GROUP AXIS ALREADY ASSIGNED',
  19: 'GROUP AXIS DUPLICATED',
  20: 'DATA ACQUISITION IS BUSY',
  21: 'DATA ACQUISITION SETUP ERROR',
  22: 'DATA ACQUISITION NOT ENABLED',
  23: 'SERVO CYCLE TICK FAILURE',
  25: 'DOWNLOAD IN PROGRESS',
  26: 'STORED PROGRAM NOT STARTED',
  27: 'COMMAND NOT ALLOWED',
  28: 'STORED PROGRAM FLASH AREA FULL',
  29: 'GROUP PARAMETER MISSING',
  30: 'GROUP PARAMETER OUT OF RANGE',
  31: 'GROUP MAXIMUM VELOCITY EXCEEDED',
  32: 'GROUP MAXIMUM ACCELERATION EXCEEDED',
  33: 'GROUP MAXIMUM DECELERATION EXCEEDED',
  34: 'GROUP MOVE NOT ALLOWED DURING MOTION',
  35: 'PROGRAM NOT FOUND',
  37: 'AXIS NUMBER MISSING',
  38: 'COMMAND PARAMETER MISSING',
  39: 'PROGRAM LABEL NOT FOUND',
  40: 'LAST COMMAND CANNOT BE REPEATED',
  41: 'MAX NUMBER OF LABELS PER PROGRAM EXCEEDED',
};

const axisErrors: Record<number, string> = {
  0: 'MOTOR TYPE NOT DEFINED',
  1: 'PARAMETER OUT OF RANGE',
  2: 'AMPLIFIER FAULT DETECTED',
  3: 'FOLLOWING ERROR THRESHOLD EXCEEDED',
  4: 'POSITIVE HARDWARE LIMIT DETECTED',
  5: 'NEGATIVE HARDWARE LIMIT DETECTED',
  6: 'POSITIVE SOFTWARE LIMIT DETECTED',
  7: 'NEGATIVE SOFTWARE LIMIT DETECTED',
  8: 'MOTOR / STAGE NOT CONNECTED',
  9: 'FEEDBACK SIGNAL FAULT DETECTED',
  10: 'MAXIMUM VELOCITY EXCEEDED',
  11: 'MAXIMUM ACCELERATION EXCEEDED',
  13: 'MOTOR NOT ENABLED',
  15: 'MAXIMUM JERK EXCEEDED',
  16: 'MAXIMUM DAC OFFSET EXCEEDED',
  17: 'ESP CRITICAL SETTINGS ARE PROTECTED',
  18: 'ESP STAGE DEVICE ERROR',
  19: 'ESP STAGE DATA INVALID',
  20: 'HOMING ABORTED',
  21: 'MOTOR CURRENT NOT DEFINED',
  22: 'UNIDRIVE COMMUNICATIONS ERROR',
  23: 'UNIDRIVE NOT DETECTED',
  24: 'SPEED OUT OF RANGE',
  25: 'INVALID TRAJECTORY MASTER AXIS',
  26: 'PARAMETER CHANGE NOT ALLOWED',
  27: 'INVALID TRAJECTORY MODE FOR HOMING',
  28: 'INVALID ENCODER STEP RATIO',
  29: 'DIGITAL I/O INTERLOCK DETECTED',
  30: 'COMMAND NOT ALLOWED DURING HOMING',
  31: 'COMMAND NOT ALLOWED DUE TO GROUP',
  32: 'INVALID TRAJECTORY MODE FOR MOVING',
};

/** Per-axis error numbers the simulator raises, named so its code reads like the manual. */
export const AxisError = {
  parameterOutOfRange: 1,
  positiveSoftwareLimit: 6,
  negativeSoftwareLimit: 7,
  stageNotConnected: 8,
  maximumVelocityExceeded: 10,
  motorNotEnabled: 13,
} as const;

/** Controller-wide error numbers the simulator raises. */
export const GeneralError = {
  commandDoesNotExist: 6,
  parameterOutOfRange: 7,
  axisNumberOutOfRange: 9,
  axisNumberMissing: 37,
  commandParameterMissing: 38,
} as const;

/** The code of per-axis error `n` on `axis` (axis 2, n 8 → 208). */
export function axisErrorCode(axis: number, n: number): number {
  return axis * 100 + n;
}

/** The manual's text for an error code, e.g. 108 → "AXIS 1: MOTOR / STAGE NOT CONNECTED". */
export function esp300ErrorMeaning(code: number): string {
  if (code >= 100) {
    const axis = Math.floor(code / 100);
    const meaning = axisErrors[code % 100];
    return meaning ? `AXIS ${axis}: ${meaning}` : `AXIS ${axis}: UNKNOWN ERROR ${code % 100}`;
  }
  return generalErrors[code] ?? `UNKNOWN ERROR ${code}`;
}

/** The message `TB?` reports (without the axis prefix the driver adds for readability). */
export function esp300ErrorMessage(code: number): string {
  if (code >= 100) return axisErrors[code % 100] ?? 'UNKNOWN ERROR';
  return generalErrors[code] ?? 'UNKNOWN ERROR';
}
