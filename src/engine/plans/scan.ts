import { type Static, Type } from '@sinclair/typebox';
import { closeRun, openRun, type PlanGenerator } from '../messages.ts';
import { deviceName, pointCount, positionOf, settleArg } from '../plan-arg-roles.ts';
import type { PlanDefinition, PlanSize } from '../plan-definition.ts';
import { linspaceAt, movePoint } from './step.ts';

export const ScanArgs = Type.Object(
  {
    detectors: Type.Array(deviceName('detector', 'Detector to read at each point'), { minItems: 1 }),
    motor: deviceName('motor', 'Signal to step, e.g. stage.axis1.position'),
    start: positionOf('motor', 'First position'),
    stop: positionOf('motor', 'Last position (included)'),
    num: pointCount('Number of points, start and stop included'),
    settle_s: settleArg(),
  },
  { additionalProperties: false },
);
export type ScanArgs = Static<typeof ScanArgs>;

/** A 1-D scan: `num` evenly spaced positions from start to stop inclusive, one event each. */
export function* scan(args: ScanArgs): PlanGenerator {
  yield openRun(
    { detectors: args.detectors, motors: [args.motor] },
    { num_points: args.num, hints: { dimensions: [[[args.motor], 'primary']] } },
  );
  for (let i = 0; i < args.num; i++) {
    const position = linspaceAt(args.start, args.stop, args.num, i);
    yield* movePoint([[args.motor, position]], args.detectors, [args.motor], args.settle_s);
  }
  yield closeRun();
}

export const scanPlan: PlanDefinition<ScanArgs> = {
  name: 'scan',
  description: 'Step one motor through num evenly spaced positions, reading the detectors at each',
  args: ScanArgs,
  size: (args): PlanSize => ({
    points: { count: args.num, path: '/num' },
    duration: { seconds: args.num * args.settle_s, path: '/settle_s' },
  }),
  plan: scan,
};
