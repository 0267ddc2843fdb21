import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, settle } from '../../core/clock.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { LineLink } from '../../transports/line-link.ts';
import type { ByteTransport } from '../../transports/transport.ts';
import { esp300ErrorMeaning } from './esp300-errors.ts';
import {
  Esp300Command as cmd,
  commandList,
  esp300Framing,
  formatNumber,
  isEsp300Notice,
  parseErrorCode,
  parseErrorRecord,
  parseFlag,
  parseIdentity,
  parseNumber,
  unitCode,
} from './esp300-protocol.ts';

describe('ESP300 command builders', () => {
  it('builds axis commands byte for byte', () => {
    assert.equal(cmd.position(1), '1TP');
    assert.equal(cmd.desiredPosition(2), '2DP?');
    assert.equal(cmd.motionDone(3), '3MD?');
    assert.equal(cmd.moveAbsolute(1, 5), '1PA5');
    assert.equal(cmd.moveAbsolute(1, -12.5), '1PA-12.5');
    assert.equal(cmd.moveRelative(2, -0.25), '2PR-0.25');
    assert.equal(cmd.setVelocity(3, 2.5), '3VA2.5');
    assert.equal(cmd.velocity(1), '1VA?');
    assert.equal(cmd.maxVelocity(1), '1VU?');
    assert.equal(cmd.motorOn(2), '2MO');
    assert.equal(cmd.motorOff(2), '2MF');
    assert.equal(cmd.motorState(2), '2MO?');
    assert.equal(cmd.home(1), '1OR');
    assert.equal(cmd.stop(3), '3ST');
    assert.equal(cmd.stopAll(), 'ST');
    assert.equal(cmd.setUnits(1, 'mm'), '1SN2');
    assert.equal(cmd.setUnits(1, 'urad'), '1SN11');
    assert.equal(cmd.setLeftLimit(1, -25), '1SL-25');
    assert.equal(cmd.setRightLimit(1, 25), '1SR25');
    assert.equal(cmd.errorCode(), 'TE?');
    assert.equal(cmd.errorMessage(), 'TB?');
    assert.equal(cmd.version(), 'VE?');
  });

  it('joins setters with ; on one line', () => {
    assert.equal(commandList(['1SN2', '1SL-25', '1SR25']), '1SN2;1SL-25;1SR25');
  });

  it('numbers are fixed point with at most 6 decimals, never an exponent', () => {
    assert.equal(formatNumber(12.3456789), '12.345679');
    assert.equal(formatNumber(1e-7), '0');
    assert.equal(formatNumber(-1e-7), '0');
    assert.equal(formatNumber(2.5e-6), '0.000003');
    assert.equal(formatNumber(1e6), '1000000');
    assert.equal(formatNumber(-0), '0');
    assert.equal(formatNumber(100), '100');
    assert.throws(() => formatNumber(Number.NaN), RangeError);
  });

  it('unit codes follow the manual (0 counts … 2 mm … 11 urad)', () => {
    assert.equal(unitCode('counts'), 0);
    assert.equal(unitCode('mm'), 2);
    assert.equal(unitCode('um'), 3);
    assert.equal(unitCode('deg'), 7);
    assert.equal(unitCode('urad'), 11);
  });
});

describe('ESP300 reply parsers', () => {
  it('parses numbers in every form the controller sends', () => {
    assert.equal(parseNumber('1TP', '5.00000'), 5);
    assert.equal(parseNumber('1TP', ' -12.34500 '), -12.345);
    assert.equal(parseNumber('1TP', '+.5'), 0.5);
    assert.equal(parseNumber('1VU?', '2.5E+01'), 25);
  });

  it('a reply that is not a number is a PROTOCOL_ERROR naming command and reply', () => {
    for (const reply of ['', 'abc', '5.0.0', '\u0000\u00ff#@!', '1,2']) {
      assert.throws(
        () => parseNumber('1TP', reply),
        (e) =>
          isBenchtopError(e, 'PROTOCOL_ERROR') && e.details.command === '1TP' && e.details.reply === reply,
      );
    }
  });

  it('parses 0/1 flags strictly', () => {
    assert.equal(parseFlag('1MD?', '1'), true);
    assert.equal(parseFlag('1MD?', '0 '), false);
    assert.throws(
      () => parseFlag('1MD?', '2'),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
    assert.throws(
      () => parseFlag('1MD?', ''),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
  });

  it('parses TE? codes and TB? records', () => {
    assert.equal(parseErrorCode('0'), 0);
    assert.equal(parseErrorCode('108'), 108);
    assert.throws(
      () => parseErrorCode('E'),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
    assert.throws(
      () => parseErrorCode('-1'),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
    assert.deepEqual(parseErrorRecord('108, 451322, MOTOR / STAGE NOT CONNECTED'), {
      code: 108,
      timestamp: 451322,
      message: 'MOTOR / STAGE NOT CONNECTED',
    });
    assert.deepEqual(parseErrorRecord('0,12,NO ERROR DETECTED'), {
      code: 0,
      timestamp: 12,
      message: 'NO ERROR DETECTED',
    });
    assert.throws(
      () => parseErrorRecord('108'),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
  });

  it('reads model and firmware from VE?, accepts other formats, rejects garbage', () => {
    assert.deepEqual(parseIdentity('ESP300 Version 3.04 07/30/03'), {
      model: 'ESP300',
      firmware: '3.04',
      raw: 'ESP300 Version 3.04 07/30/03',
    });
    assert.deepEqual(parseIdentity('Newport controller'), { model: 'ESP300', raw: 'Newport controller' });
    assert.throws(
      () => parseIdentity(''),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
    assert.throws(
      () => parseIdentity('\u0000\u00ff#@!'),
      (e) => isBenchtopError(e, 'PROTOCOL_ERROR'),
    );
  });

  it('treats "E…" lines as notices but never the "ESP300 Version" reply', () => {
    assert.equal(isEsp300Notice('E38, COMMAND PARAMETER MISSING'), true);
    assert.equal(isEsp300Notice('E'), true);
    assert.equal(isEsp300Notice('ESP300 Version 3.04'), false);
    assert.equal(isEsp300Notice('5.00000'), false);
    assert.equal(isEsp300Notice('0'), false);
  });

  it('knows the meaning of general and per-axis codes', () => {
    assert.equal(esp300ErrorMeaning(6), 'COMMAND DOES NOT EXIST');
    assert.equal(esp300ErrorMeaning(7), 'PARAMETER OUT OF RANGE');
    assert.equal(esp300ErrorMeaning(9), 'AXIS NUMBER OUT OF RANGE');
    assert.equal(esp300ErrorMeaning(37), 'AXIS NUMBER MISSING');
    assert.equal(esp300ErrorMeaning(38), 'COMMAND PARAMETER MISSING');
    assert.equal(esp300ErrorMeaning(108), 'AXIS 1: MOTOR / STAGE NOT CONNECTED');
    assert.equal(esp300ErrorMeaning(306), 'AXIS 3: POSITIVE SOFTWARE LIMIT DETECTED');
    assert.equal(esp300ErrorMeaning(213), 'AXIS 2: MOTOR NOT ENABLED');
    assert.equal(esp300ErrorMeaning(99), 'UNKNOWN ERROR 99');
    assert.equal(esp300ErrorMeaning(199), 'AXIS 1: UNKNOWN ERROR 99');
  });
});

/** An in-memory byte pipe: records what was written, delivers whatever chunks the test pushes. */
class ScriptedTransport implements ByteTransport {
  readonly address = 'memory:esp300';
  readonly written: string[] = [];
  isOpen = false;
  private receiver: (chunk: Uint8Array) => void = () => {};

  async open(): Promise<void> {
    this.isOpen = true;
  }
  async write(data: Uint8Array): Promise<void> {
    this.written.push(Buffer.from(data).toString('latin1'));
  }
  onData(receiver: (chunk: Uint8Array) => void): void {
    this.receiver = receiver;
  }
  onClose(): void {}
  async close(): Promise<void> {
    this.isOpen = false;
  }
  push(text: string): void {
    this.receiver(Buffer.from(text, 'latin1'));
  }
}

async function esp300Link() {
  const transport = new ScriptedTransport();
  const link = new LineLink(transport, {
    ...esp300Framing,
    timeoutMs: 1000,
    clock: new ManualClock(),
    isUnsolicited: isEsp300Notice,
  });
  await link.open();
  return { transport, link };
}

describe('ESP300 framing', () => {
  it('writes CR after each command', async () => {
    const { transport, link } = await esp300Link();
    await link.write('1PA5');
    assert.deepEqual(transport.written, ['1PA5\r']);
  });

  it('reads a CR LF reply delivered one byte at a time, skipping an "E" notice before it', async () => {
    const { transport, link } = await esp300Link();
    const reply = link.query('1TP');
    for (const byte of 'E38, COMMAND PARAMETER MISSING\r\n-3.25000\r\n') {
      transport.push(byte);
      await settle();
    }
    assert.equal(await reply, '-3.25000');
    assert.equal(parseNumber('1TP', '-3.25000'), -3.25);
    assert.equal(link.discarded, 1);
  });

  it('reads replies split inside the CR LF pair and two replies in one chunk', async () => {
    const { transport, link } = await esp300Link();
    const version = link.query('VE?');
    transport.push('ESP300 Version 3.04\r');
    transport.push('\n1\r\n0\r');
    assert.equal(await version, 'ESP300 Version 3.04');
    assert.equal(await link.readLine(), '1');
    const last = link.readLine();
    transport.push('\n');
    assert.equal(await last, '0');
  });
});
