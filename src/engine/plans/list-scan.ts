import { type Static, Type } from '@sinclair/typebox';
import { closeRun, openRun, type PlanGenerator } from '../messages.ts';
import { deviceName, positionOf, settleArg } from '../plan-arg-roles.ts';
import type { PlanDefinition, PlanSize } from '../plan-definition.ts';
import { movePoint } from './step.ts';

export const ListScanArgs = Type.Object(
  {
    detectors: Type.Array(deviceName('detector', 'Detector to read at each point'), { default: [] }),
    motor: deviceName('motor', 'Signal to move, e.g. laser.wavelength'),
    positions: Type.Array(positionOf('motor', 'Position'), { minItems: 1 }),
    settle_s: settleArg(),
  },
  { additionalProperties: false },
);
export type ListScanArgs = Static<typeof ListScanArgs>;

/** Visits the positions in the order given; the motor's readback is always recorded. */
export function* listScan(args: ListScanArgs): PlanGenerator {
  yield openRun(
    { detectors: args.detectors, motors: [args.motor] },
    { num_points: args.positions.length, hints: { dimensions: [[[args.motor], 'primary']] } },
  );
  for (const position of args.positions) {
    yield* movePoint([[args.motor, position]], args.detectors, [args.motor], args.settle_s);
  }
  yield closeRun();
}

export const listScanPlan: PlanDefinition<ListScanArgs> = {
  name: 'list_scan',
  description: 'Move one motor through a list of positions, reading the detectors at each',
  args: ListScanArgs,
  size: (args): PlanSize => ({
    points: { count: args.positions.length, path: '/positions' },
    duration: { seconds: args.positions.length * args.settle_s, path: '/settle_s' },
  }),
  plan: listScan,
};
