import { type Static, Type } from '@sinclair/typebox';
import { closeRun, openRun, type PlanGenerator } from '../messages.ts';
import { deviceName, pointCount, positionOf, settleArg } from '../plan-arg-roles.ts';
import type { ArgProblem, PlanDefinition, PlanSize } from '../plan-definition.ts';
import { linspaceAt, movePoint } from './step.ts';

export const GridAxis = Type.Object(
  {
    motor: deviceName('motor', 'Signal this axis steps'),
    start: positionOf('motor', 'First position'),
    stop: positionOf('motor', 'Last position (included)'),
    num: pointCount('Points along this axis'),
  },
  { additionalProperties: false },
);

export const GridScanArgs = Type.Object(
  {
    detectors: Type.Array(deviceName('detector', 'Detector to read at each point'), { minItems: 1 }),
    axes: Type.Array(GridAxis, { minItems: 1, description: 'Outer axis first' }),
    snake: Type.Boolean({
      default: false,
      description: 'Reverse every other pass of the inner axes, so consecutive points are neighbours',
    }),
    settle_s: settleArg(),
  },
  { additionalProperties: false },
);
export type GridScanArgs = Static<typeof GridScanArgs>;

/**
 * The grid's points in visiting order, as one position per axis. Axis 0 is outermost; the last
 * axis changes fastest. With `snake`, an inner axis runs backwards on every odd pass, where its
 * pass number is the count of steps the axes outside it have taken so far.
 */
export function gridPoints(axes: { start: number; stop: number; num: number }[], snake: boolean): number[][] {
  return [...eachGridPoint(axes, snake)];
}

/** `gridPoints` one at a time: a grid is never held in memory, whatever its size. */
export function* eachGridPoint(
  axes: { start: number; stop: number; num: number }[],
  snake: boolean,
): Generator<number[], void, undefined> {
  const total = gridSize(axes);
  for (let linear = 0; linear < total; linear++) {
    const raw: number[] = [];
    let rest = linear;
    for (let k = axes.length - 1; k >= 0; k--) {
      raw[k] = rest % axes[k]!.num;
      rest = Math.floor(rest / axes[k]!.num);
    }
    let passes = 0;
    const point = raw.map((index, k) => {
      const reversed = snake && k > 0 && passes % 2 === 1;
      passes = passes * axes[k]!.num + index;
      const axis = axes[k]!;
      return linspaceAt(axis.start, axis.stop, axis.num, reversed ? axis.num - 1 - index : index);
    });
    yield point;
  }
}

function gridSize(axes: { num: number }[]): number {
  return axes.reduce((n, a) => n * a.num, 1);
}

/** An n-D grid scan; at each point only the motors whose position changes are moved. */
export function* gridScan(args: GridScanArgs): PlanGenerator {
  const motors = args.axes.map((a) => a.motor);
  yield openRun(
    { detectors: args.detectors, motors, shape: args.axes.map((a) => a.num), snake: args.snake },
    { num_points: gridSize(args.axes), hints: { dimensions: motors.map((m) => [[m], 'primary']) } },
  );
  let previous: number[] | null = null;
  for (const point of eachGridPoint(args.axes, args.snake)) {
    const moves = point
      .map((position, k): [string, number] => [motors[k]!, position])
      .filter((_, k) => previous === null || previous[k] !== point[k]);
    yield* movePoint(moves, args.detectors, motors, args.settle_s);
    previous = point;
  }
  yield closeRun();
}

function check(args: GridScanArgs): ArgProblem[] {
  const seen = new Map<string, number>();
  const problems: ArgProblem[] = [];
  args.axes.forEach((axis, i) => {
    const first = seen.get(axis.motor);
    if (first !== undefined) {
      problems.push({
        path: `/axes/${i}/motor`,
        message: `${axis.motor} is already axis ${first}; each axis needs its own motor`,
      });
    } else seen.set(axis.motor, i);
  });
  return problems;
}

export const gridScanPlan: PlanDefinition<GridScanArgs> = {
  name: 'grid_scan',
  description: 'Step several motors over an n-dimensional grid (outer axis first), optionally snaking',
  args: GridScanArgs,
  check,
  size: (args): PlanSize => {
    const count = gridSize(args.axes);
    return {
      points: { count, path: '/axes' },
      duration: { seconds: count * args.settle_s, path: '/settle_s' },
    };
  },
  plan: gridScan,
};
