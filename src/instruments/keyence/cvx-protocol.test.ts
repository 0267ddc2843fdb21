import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, settle } from '../../core/clock.ts';
import { isBenchtopError } from '../../core/errors.ts';
import type { ByteTransport } from '../../transports/transport.ts';
import type { CvxOutputConfig } from './config.ts';
import {
  classifyLine,
  CvxCommand as cmd,
  commandHeader,
  cvxErrorMeaning,
  formatProgram,
  parseMode,
  parseProgram,
  parseResult,
} from './cvx-protocol.ts';
import { type CvxResultLine, CvxSession } from './cvx-session.ts';

const outputs: CvxOutputConfig[] = [
  { index: 0, name: 'total', kind: 'judgement' },
  { index: 1, name: 'scratch_score', kind: 'score', tool: 'scratch' },
  { index: 3, name: 'defect_x', kind: 'x' },
];

describe('CV-X command builders', () => {
  it('builds every command byte for byte', () => {
    assert.equal(cmd.readMode(), 'RM');
    assert.equal(cmd.toRunMode(), 'R0');
    assert.equal(cmd.toSetupMode(), 'S0');
    assert.equal(cmd.readProgram(), 'PR');
    assert.equal(cmd.writeProgram(1, 5), 'PW,1,005');
    assert.equal(cmd.writeProgram(2, 999), 'PW,2,999');
    assert.equal(cmd.writeProgram(1, 0), 'PW,1,000');
    assert.equal(cmd.trigger('TA'), 'TA');
    assert.equal(cmd.trigger('T3'), 'T3');
    assert.equal(cmd.reset(), 'RS');
    assert.equal(cmd.clearError(), 'CE');
  });

  it('refuses program numbers outside 000-999 before anything is sent', () => {
    assert.throws(() => formatProgram(1000), RangeError);
    assert.throws(() => formatProgram(-1), RangeError);
    assert.throws(() => formatProgram(1.5), RangeError);
    assert.equal(commandHeader('PW,1,005'), 'PW');
    assert.equal(commandHeader('TA'), 'TA');
  });
});

describe('CV-X reply parsing', () => {
  it('tells echoes, refusals, result lines and garbage apart by shape', () => {
    assert.deepEqual(classifyLine('RM,1'), { kind: 'reply', header: 'RM', fields: ['RM', '1'] });
    assert.deepEqual(classifyLine('T1'), { kind: 'reply', header: 'T1', fields: ['T1'] });
    assert.deepEqual(classifyLine('ER,TA,03'), { kind: 'error', command: 'TA', code: 3 });
    assert.deepEqual(classifyLine('ER,PW,22'), { kind: 'error', command: 'PW', code: 22 });
    assert.deepEqual(classifyLine('0,+0012.500,-3,.5'), {
      kind: 'result',
      fields: ['0', '+0012.500', '-3', '.5'],
    });
    for (const bad of ['', 'ER,TA', 'ER,TA,xx', 'ok', '1,2,abc', '\u0000\u00ff#@!', 'RM,\u00fe'])
      assert.equal(classifyLine(bad).kind, 'garbage', JSON.stringify(bad));
  });

  it('reads the mode and the program, and rejects anything else as PROTOCOL_ERROR', () => {
    assert.equal(parseMode('cam', 'RM,1'), 'run');
    assert.equal(parseMode('cam', 'RM,0'), 'setup');
    assert.deepEqual(parseProgram('cam', 'PR,2,017'), { sd: 2, program: 17 });
    for (const bad of ['RM', 'RM,2', 'RM,1,0', 'PR,1,5'])
      assert.throws(
        () => (bad.startsWith('RM') ? parseMode('cam', bad) : parseProgram('cam', bad)),
        (e) => isBenchtopError(e, 'PROTOCOL_ERROR') && e.message.includes(JSON.stringify(bad)),
      );
    assert.throws(
      () => parseProgram('cam', 'PR,3,005'),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
  });

  it('names the error numbers', () => {
    assert.match(cvxErrorMeaning(2), /command error/);
    assert.match(cvxErrorMeaning(3), /not possible in this mode/);
    assert.match(cvxErrorMeaning(22), /parameter error/);
    assert.equal(cvxErrorMeaning(99), 'unknown error 99');
  });

  it('maps a result line through the outputs map, keeping judgements as numbers', () => {
    const fields = parseResult('cam', ['1', '87.5', '3', '-120.25', '9'], outputs);
    assert.deepEqual(fields, [
      { name: 'total', kind: 'judgement', value: 1 },
      { name: 'scratch_score', kind: 'score', tool: 'scratch', value: 87.5 },
      { name: 'defect_x', kind: 'x', value: -120.25 },
    ]);
  });

  it('a result line shorter than the map is a configuration mismatch naming the output', () => {
    assert.throws(
      () => parseResult('cam', ['0', '12'], outputs),
      (e) => isBenchtopError(e, 'CONFIG_INVALID') && /defect_x.*field 3.*2 field/.test(e.message),
    );
  });
});

/** An in-memory byte pipe: records what was written, delivers whatever chunks the test pushes. */
class ScriptedTransport implements ByteTransport {
  readonly address = 'memory:cvx';
  readonly written: string[] = [];
  isOpen = false;
  private receiver: (chunk: Uint8Array) => void = () => {};
  private closer: (error?: Error) => void = () => {};

  async open(): Promise<void> {
    this.isOpen = true;
  }
  async write(data: Uint8Array): Promise<void> {
    this.written.push(Buffer.from(data).toString('latin1'));
  }
  onData(receiver: (chunk: Uint8Array) => void): void {
    this.receiver = receiver;
  }
  onClose(listener: (error?: Error) => void): void {
    this.closer = listener;
  }
  async close(): Promise<void> {
    this.isOpen = false;
  }
  push(text: string): void {
    this.receiver(Buffer.from(text, 'latin1'));
  }
  drop(): void {
    this.closer(new Error('peer closed'));
  }
}

async function session(timeoutMs = 1000) {
  const clock = new ManualClock();
  const transport = new ScriptedTransport();
  const s = new CvxSession(transport, { instrument: 'cam', timeoutMs, clock });
  const unclaimed: { line: CvxResultLine; late: boolean }[] = [];
  const lost: string[] = [];
  s.onUnclaimedResult((line, { late }) => unclaimed.push({ line, late }));
  s.onLost((e) => lost.push(e.code));
  await s.open();
  return { clock, transport, session: s, unclaimed, lost };
}

describe('CV-X session framing', () => {
  it('writes CR after each command and reads an echo split one byte at a time', async () => {
    const { transport, session: s } = await session();
    const reply = s.command('RM');
    await settle();
    assert.deepEqual(transport.written, ['RM\r']);
    for (const byte of 'RM,1\r') {
      transport.push(byte);
      await settle();
    }
    assert.deepEqual(await reply, ['RM', '1']);
  });

  it('a trigger returns the result line after its echo, even when both arrive in one chunk or split anywhere', async () => {
    const { transport, session: s, clock } = await session();
    const first = s.trigger('TA');
    await settle();
    transport.push('TA\r0,12.5,0,');
    await clock.advance(7);
    transport.push('33.0\r');
    const outcome = await first;
    assert.equal(outcome.line.raw, '0,12.5,0,33.0');
    assert.deepEqual(outcome.line.fields, ['0', '12.5', '0', '33.0']);
    assert.equal(outcome.elapsedMs, 7);
    const second = s.trigger('T2');
    await settle();
    assert.equal(transport.written.at(-1), 'T2\r');
    transport.push('T2\r\n1,99,4,5\r\n');
    assert.equal((await second).line.raw, '1,99,4,5');
  });

  it('a refusal becomes INSTRUMENT_ERROR naming the command and the meaning of its number', async () => {
    const { transport, session: s } = await session();
    const trigger = s.trigger('TA');
    await settle();
    transport.push('ER,TA,03\r');
    await assert.rejects(
      trigger,
      (e) =>
        isBenchtopError(e, 'INSTRUMENT_ERROR') &&
        e.details.command === 'TA' &&
        e.details.instrumentCode === 3 &&
        /"TA".*03.*not possible in this mode/.test(e.message),
    );
    const pw = s.command('PW,1,1000');
    await settle();
    transport.push('ER,PW,22\r');
    await assert.rejects(
      pw,
      (e) => isBenchtopError(e, 'INSTRUMENT_ERROR') && e.details.instrumentCode === 22,
    );
  });

  it("results that come before the echo or with nothing waiting are unclaimed, not this trigger's", async () => {
    const { transport, session: s, unclaimed } = await session();
    transport.push('0,1,2,3\r');
    const trigger = s.trigger('TA');
    await settle();
    transport.push('1,4,5,6\rTA\r0,7,8,9\r');
    assert.equal((await trigger).line.raw, '0,7,8,9');
    assert.deepEqual(
      unclaimed.map((u) => [u.line.raw, u.late]),
      [
        ['0,1,2,3', false],
        ['1,4,5,6', false],
      ],
    );
  });

  it('no echo is INSTRUMENT_TIMEOUT; an echo without a result is VISION_TIMEOUT, and the late result is flagged', async () => {
    const { transport, session: s, clock, unclaimed, lost } = await session(500);
    const silent = s.command('RM');
    silent.catch(() => {});
    await clock.advance(500);
    await assert.rejects(silent, (e) => isBenchtopError(e, 'INSTRUMENT_TIMEOUT'));
    transport.push('RM,1\r');
    assert.equal(s.discarded, 1, 'the late echo is dropped, not kept for the next command');
    const trigger = s.trigger('TA');
    trigger.catch(() => {});
    await settle();
    transport.push('TA\r');
    await clock.advance(500);
    await assert.rejects(
      trigger,
      (e) =>
        isBenchtopError(e, 'VISION_TIMEOUT') && e.details.command === 'TA' && e.details.timeoutMs === 500,
    );
    transport.push('0,1,2,3\r');
    assert.deepEqual(unclaimed, [{ line: { raw: '0,1,2,3', fields: ['0', '1', '2', '3'] }, late: true }]);
    assert.deepEqual(lost, [], 'timeouts alone do not end the session');
  });

  it('garbage, a wrong echo or a wrong refusal fail the session with PROTOCOL_ERROR', async () => {
    for (const bad of ['\u0000\u00ff#@!', 'PR,1,000', 'ER,PR,02']) {
      const { transport, session: s, lost } = await session();
      const reply = s.command('RM');
      await settle();
      transport.push(`${bad}\r`);
      await assert.rejects(reply, (e) => isBenchtopError(e, 'PROTOCOL_ERROR'), bad);
      assert.deepEqual(lost, ['PROTOCOL_ERROR']);
      await assert.rejects(s.command('RM'), (e) => isBenchtopError(e, 'PROTOCOL_ERROR'));
    }
  });

  it('a closed connection fails what waits with LINK_LOST, once', async () => {
    const { transport, session: s, lost } = await session();
    const trigger = s.trigger('TA');
    await settle();
    transport.push('TA\r');
    transport.drop();
    await assert.rejects(trigger, (e) => isBenchtopError(e, 'LINK_LOST'));
    transport.drop();
    assert.deepEqual(lost, ['LINK_LOST']);
  });

  it('commands queue one behind the other', async () => {
    const { transport, session: s } = await session();
    const a = s.command('RM');
    const b = s.command('PR');
    await settle();
    assert.deepEqual(transport.written, ['RM\r'], 'PR waits until RM is answered');
    transport.push('RM,0\r');
    await settle();
    assert.deepEqual(transport.written, ['RM\r', 'PR\r']);
    transport.push('PR,2,010\r');
    assert.deepEqual(
      [await a, await b],
      [
        ['RM', '0'],
        ['PR', '2', '010'],
      ],
    );
  });
});
