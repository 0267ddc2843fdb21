import { type Static, Type } from '@sinclair/typebox';
import { checkpoint, closeRun, openRun, type PlanGenerator, sleep, triggerAndRead } from '../messages.ts';
import { deviceName, pointCount } from '../plan-arg-roles.ts';
import type { PlanDefinition, PlanSize } from '../plan-definition.ts';

export const CountArgs = Type.Object(
  {
    detectors: Type.Array(deviceName('detector', 'Detector to read'), { minItems: 1 }),
    num: pointCount('Number of readings', { default: 1 }),
    delay: Type.Number({ minimum: 0, default: 0, description: 'Seconds between readings', 'x-unit': 's' }),
  },
  { additionalProperties: false },
);
export type CountArgs = Static<typeof CountArgs>;

/** `num` readings of the detectors, `delay` seconds apart (no delay after the last). */
export function* count(args: CountArgs): PlanGenerator {
  yield openRun({ detectors: args.detectors }, { num_points: args.num });
  for (let i = 0; i < args.num; i++) {
    yield checkpoint();
    yield triggerAndRead(args.detectors);
    if (args.delay > 0 && i < args.num - 1) yield sleep(args.delay);
  }
  yield closeRun();
}

export const countPlan: PlanDefinition<CountArgs> = {
  name: 'count',
  description: 'Read the detectors num times, delay seconds apart',
  args: CountArgs,
  size: (args): PlanSize => ({
    points: { count: args.num, path: '/num' },
    duration: { seconds: (args.num - 1) * args.delay, path: '/delay' },
  }),
  plan: count,
};
