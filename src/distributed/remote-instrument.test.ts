import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { ManualClock } from '../core/clock.ts';
import type { DeviceDescription } from '../core/device.ts';
import { isBenchtopError } from '../core/errors.ts';
import { Instrument } from '../core/instrument.ts';
import type { CommandReply } from './messages.ts';
import { describedDriver, RemoteActor, type SendCommand } from './remote-instrument.ts';

const description: DeviceDescription = {
  id: 'stage',
  type: 'ESP300',
  signals: [
    {
      name: 'axis1.position',
      dtype: 'number',
      readable: true,
      writable: true,
      description: 'pos',
      monitored: true,
      completes: true,
      unit: 'mm',
      limits: { min: -10, max: 10 },
    },
    {
      name: 'axis1.moving',
      dtype: 'boolean',
      readable: true,
      writable: false,
      description: 'moving',
      monitored: true,
      completes: false,
    },
  ],
  actions: [],
  capabilities: [],
};

const done = (cmdId: string, result: unknown): CommandReply => ({
  v: 1,
  cmdId,
  status: 'done',
  result,
  agentNow: 0,
});

/** An Instrument over a RemoteActor whose "agent" is a function: no network. */
function remote(agent: (verb: string, args: Record<string, unknown>) => CommandReply) {
  const sent: { verb: string; args: Record<string, unknown> }[] = [];
  const send: SendCommand = async (verb, args) => {
    sent.push({ verb, args });
    return agent(verb, args);
  };
  const actor = new RemoteActor(send, 60_000);
  actor.state = 'ready';
  const clock = new ManualClock();
  const instrument = new Instrument({
    id: 'stage',
    driver: describedDriver(description),
    actor,
    clock,
    askTimeoutMs: 1000,
    host: 'h1',
  });
  return { instrument, actor, sent, clock };
}

test('the described driver gives the same description back', () => {
  const { instrument } = remote(() => done('x', {}));
  assert.deepEqual(instrument.describe().signals, description.signals);
  assert.equal(instrument.host, 'h1');
});

test('a read returns the agent reading with its acquisition time', async () => {
  const reading = {
    instrument: 'stage',
    signal: 'axis1.position',
    value: 1.5,
    timestamp: 123,
    quality: 'good',
  };
  const { instrument, sent } = remote(() => done('c', { reading }));
  assert.deepEqual(await instrument.read('axis1.position'), reading);
  assert.deepEqual(sent, [{ verb: 'read', args: { signal: 'axis1.position' } }]);
});

test('limits are checked at the hub: an out-of-range write never reaches the agent', async () => {
  const { instrument, sent } = remote(() => done('c', {}));
  await assert.rejects(instrument.write('axis1.position', 99), (e) =>
    isBenchtopError(e, 'VALUE_OUT_OF_RANGE'),
  );
  await assert.rejects(instrument.write('axis1.moving', true), (e) => isBenchtopError(e, 'SIGNAL_READ_ONLY'));
  assert.equal(sent.length, 0);
});

test('an accepted move is waited for through check until the agent says done', async () => {
  let checks = 0;
  const { instrument, sent, clock } = remote((verb) => {
    if (verb === 'write')
      return {
        v: 1,
        cmdId: 'w1',
        status: 'accepted',
        result: { completion: { id: 'w1', what: 'move' } },
        agentNow: 0,
      };
    checks++;
    return done('c', { done: checks >= 3 });
  });
  const writing = instrument.write('axis1.position', 2);
  for (let i = 0; i < 10 && checks < 3; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(50);
  }
  await writing;
  assert.equal(checks, 3);
  assert.deepEqual(
    sent.map((s) => s.verb),
    ['write', 'check', 'check', 'check'],
  );
  assert.deepEqual(sent[1]!.args, { completion: 'w1' });
});

test("the agent's error comes back with its code; an unknown code becomes INTERNAL", async () => {
  const { instrument } = remote((_verb, args) =>
    args.signal === 'axis1.position'
      ? {
          v: 1,
          cmdId: 'r',
          status: 'error',
          error: { code: 'INSTRUMENT_ERROR', message: 'E123' },
          agentNow: 0,
        }
      : { v: 1, cmdId: 'x', status: 'error', error: { code: 'NO_SUCH_CODE', message: 'odd' }, agentNow: 0 },
  );
  await assert.rejects(
    instrument.read('axis1.position'),
    (e) => isBenchtopError(e, 'INSTRUMENT_ERROR') && /E123/.test(e.message),
  );
  await assert.rejects(
    instrument.read('axis1.moving'),
    (e) => isBenchtopError(e, 'INTERNAL') && /odd/.test(e.message),
  );
});

test('a move that fails on the agent fails the waiting write at check, with the reason', async () => {
  const { instrument } = remote((verb) =>
    verb === 'write'
      ? {
          v: 1,
          cmdId: 'w',
          status: 'accepted',
          result: { completion: { id: 'w', what: 'move' } },
          agentNow: 0,
        }
      : {
          v: 1,
          cmdId: 'c',
          status: 'error',
          error: { code: 'INSTRUMENT_TIMEOUT', message: 'move not done in 5 s' },
          agentNow: 0,
        },
  );
  await assert.rejects(
    instrument.write('axis1.position', 1),
    (e) => isBenchtopError(e, 'INSTRUMENT_TIMEOUT') && /move not done/.test(e.message),
  );
});

test('while the agent is stale the instrument is unavailable without a request', async () => {
  const { instrument, actor, sent } = remote(() => done('c', {}));
  actor.state = 'failed';
  await assert.rejects(instrument.read('axis1.position'), (e) =>
    isBenchtopError(e, 'INSTRUMENT_UNAVAILABLE'),
  );
  assert.equal(sent.length, 0);
});

test('a write whose caller reads the value back asks the agent for it in the same request; a plain write does not', async () => {
  const reading = { instrument: 'stage', signal: 'axis1.position', value: 2, timestamp: 5, quality: 'good' };
  const { instrument, sent } = remote((_verb, args) => done('w', args.readBack ? { reading } : {}));
  // No completion here: the agent's reply is `done`, as for a setpoint that takes effect at once.
  assert.deepEqual(await instrument.writeAndRead('axis1.position', 2), reading);
  await instrument.write('axis1.position', 3);
  assert.equal(await instrument.writeAndRead('axis1.position', 4, { wait: false }), undefined);
  assert.deepEqual(
    sent.map((s) => s.args),
    [
      { signal: 'axis1.position', value: 2, readBack: true },
      { signal: 'axis1.position', value: 3 },
      { signal: 'axis1.position', value: 4 },
    ],
  );
});

test("a remote action's arguments are checked at the hub against the schema that crossed the bus as JSON", async () => {
  const args = Type.Object(
    { axis: Type.Integer({ minimum: 1, maximum: 3 }) },
    { additionalProperties: false },
  );
  const withAction: DeviceDescription = JSON.parse(
    JSON.stringify({
      ...description,
      actions: [{ name: 'home', description: 'home an axis', args, completes: false }],
    }),
  );
  const sent: string[] = [];
  const actor = new RemoteActor(async (verb) => {
    sent.push(verb);
    return done('c', { result: null });
  }, 60_000);
  actor.state = 'ready';
  const instrument = new Instrument({
    id: 'stage',
    driver: describedDriver(withAction),
    actor,
    clock: new ManualClock(),
    askTimeoutMs: 1000,
  });
  await assert.rejects(instrument.call('home', { axis: 7 }), (e) => isBenchtopError(e, 'VALIDATION_FAILED'));
  assert.deepEqual(sent, []);
  await instrument.call('home', { axis: 2 });
  assert.deepEqual(sent, ['call']);
});
