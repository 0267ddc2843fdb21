import { type Static, Type } from '@sinclair/typebox';
import { checkpoint, closeRun, openRun, type PlanGenerator } from '../messages.ts';
import { deviceName, pointCount } from '../plan-arg-roles.ts';
import type { ArgProblem, PlanDefinition, PlanSize } from '../plan-definition.ts';

export const CameraAcquireArgs = Type.Object(
  {
    camera: deviceName('camera', 'Camera instrument id'),
    frames: Type.Optional(pointCount('Number of frames (or duration_s)')),
    duration_s: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Acquire for this long (or frames)', 'x-unit': 's' }),
    ),
    exposure_ms: Type.Number({ exclusiveMinimum: 0, description: 'Exposure per frame', 'x-unit': 'ms' }),
  },
  { additionalProperties: false },
);
export type CameraAcquireArgs = Static<typeof CameraAcquireArgs>;

/** A continuous acquisition: every frame goes to the file by reference, one event per frame. */
export function* cameraAcquire(args: CameraAcquireArgs): PlanGenerator {
  yield openRun(
    { camera: args.camera, exposure_ms: args.exposure_ms },
    args.frames !== undefined ? { num_points: args.frames } : {},
  );
  yield checkpoint();
  yield {
    command: 'camera_frames',
    camera: args.camera,
    exposure_ms: args.exposure_ms,
    ...(args.frames !== undefined ? { count: args.frames } : { duration_s: args.duration_s! }),
  };
  yield closeRun();
}

function check(args: CameraAcquireArgs): ArgProblem[] {
  if ((args.frames === undefined) === (args.duration_s === undefined)) {
    return [{ path: '/frames', message: 'give exactly one of frames or duration_s' }];
  }
  return [];
}

export const cameraAcquirePlan: PlanDefinition<CameraAcquireArgs> = {
  name: 'camera_acquire',
  description: 'Acquire camera frames (a number of frames or for a duration) at a given exposure',
  args: CameraAcquireArgs,
  check,
  size: (args): PlanSize =>
    args.frames !== undefined
      ? {
          points: { count: args.frames, path: '/frames' },
          duration: { seconds: (args.frames * args.exposure_ms) / 1000, path: '/exposure_ms' },
        }
      : {
          // The camera's frame rate bounds the frames, not the request: only the duration is checked.
          points: { count: 0, path: '/duration_s' },
          duration: { seconds: args.duration_s!, path: '/duration_s' },
        },
  plan: cameraAcquire,
};
