import { Type } from '@sinclair/typebox';
import type { EventBus } from '../../src/core/bus.ts';
import { Completion, type InstrumentDriver } from '../../src/core/device.ts';
import { BenchtopError } from '../../src/core/errors.ts';
import type { BenchtopEvents } from '../../src/core/events.ts';
import { spawnInstrument } from '../../src/core/testing/instrument-harness.ts';

/** An in-memory instrument: a motor that reaches its target after a number of polls. */
export function fakeMotor() {
  const wire: string[] = [];
  let position = 0;
  let target = 0;
  let connects = 0;
  let failConnect = false;
  const driver: InstrumentDriver = {
    type: 'FakeMotor',
    signals: {
      position: {
        dtype: 'number',
        unit: 'mm',
        limits: { min: -10, max: 10 },
        description: 'position',
        monitored: true,
        completes: true,
        read: async () => {
          wire.push('TP?');
          return position;
        },
        write: async (value) => {
          wire.push(`PA${value}`);
          target = value as number;
          return new Completion({
            what: 'move',
            pollMs: 1,
            timeoutMs: 5_000,
            isDone: async () => {
              position += Math.sign(target - position) * Math.min(1, Math.abs(target - position));
              return position === target;
            },
          });
        },
      },
      mode: {
        dtype: 'enum',
        choices: ['fast', 'slow'],
        description: 'mode',
        write: async (v) => void wire.push(`MODE${v}`),
      },
      broken: {
        dtype: 'number',
        description: 'reads that lose the link',
        read: async () => {
          throw new BenchtopError('LINK_LOST', 'cable pulled');
        },
      },
    },
    actions: {
      jog: {
        description: 'jog',
        args: Type.Object(
          { delta: Type.Number({ minimum: -1, maximum: 1 }) },
          { additionalProperties: false },
        ),
        run: async (args: { delta: number }) => {
          wire.push(`PR${args.delta}`);
          position += args.delta;
          return { moved: args.delta };
        },
      },
    },
    connect: async () => {
      connects++;
      if (failConnect) throw new BenchtopError('LINK_LOST', 'no answer');
      return { model: 'Fake' };
    },
    disconnect: async () => {},
  };
  return {
    driver,
    wire,
    connects: () => connects,
    setFailConnect: (v: boolean) => {
      failConnect = v;
    },
  };
}

/** A supervisor running one fake motor called `motor`, wired to the bus like the real manager. */
export async function fakeMotorLab(
  bus: EventBus<BenchtopEvents>,
  options: { pollIntervalMs?: number; rememberReadings?: boolean } = {},
) {
  const fake = fakeMotor();
  const { supervisor, instrument } = await spawnInstrument({
    id: 'motor',
    driver: fake.driver,
    bus,
    ...options,
  });
  return { supervisor, instrument, fake };
}
