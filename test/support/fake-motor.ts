import { Type } from '@sinclair/typebox';
import { Completion, type InstrumentDriver } from '../../src/core/device.ts';
import { BenchtopError } from '../../src/core/errors.ts';

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

import type { EventBus } from '../../src/core/bus.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { BenchtopEvents } from '../../src/core/events.ts';
import { Instrument } from '../../src/core/instrument.ts';
import {
  InstrumentBehavior,
  type InstrumentMessage,
  type InstrumentReply,
} from '../../src/core/instrument-behavior.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Supervisor } from '../../src/core/supervisor.ts';

/** A supervisor running one fake motor called `motor`, wired to the bus like the real manager. */
export async function fakeMotorLab(bus: EventBus<BenchtopEvents>, pollIntervalMs = 0) {
  const supervisor = new Supervisor({
    clock: systemClock,
    mailboxCapacity: 10,
    spawnTimeoutMs: 1_000,
    shutdownTimeoutMs: 1_000,
    policy: { maxRestarts: 5, windowMs: 60_000, initialBackoffMs: 5, maxBackoffMs: 20, jitter: 0 },
    onStateChange: (c) => bus.emit('actor.state', c),
  });
  const fake = fakeMotor();
  const actor = await supervisor.spawn<InstrumentMessage, InstrumentReply>(
    'motor',
    () =>
      new InstrumentBehavior({
        id: 'motor',
        driver: fake.driver,
        log: silentLogger(),
        pollIntervalMs,
        publish: (r) => bus.emit('instrument.reading', r),
        onIdentity: () => {},
      }),
    { kind: 'FakeMotor' },
  );
  const instrument = new Instrument({
    id: 'motor',
    driver: fake.driver,
    actor,
    clock: systemClock,
    askTimeoutMs: 2_000,
  });
  bus.on('instrument.reading', (r) => instrument.remember(r));
  return { supervisor, instrument, fake };
}
