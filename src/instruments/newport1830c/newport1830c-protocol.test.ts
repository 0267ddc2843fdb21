import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import { LineFramer } from '../../transports/line-framer.ts';
import {
  EchoFilter,
  FILTER_CODES,
  formatReading,
  meterCommands,
  parseCode,
  parseFlag,
  parseInteger,
  parseMeterNumber,
  parseRange,
  parseReading,
  parseStatusByte,
  readingCondition,
  STATUS_BITS,
  UNIT_CODES,
} from './newport1830c-protocol.ts';

const protocolError = (command: string, reply: string) => (e: unknown) =>
  isBenchtopError(e, 'PROTOCOL_ERROR') && e.details.command === command && e.details.reply === reply;

describe('1830-C commands', () => {
  it('builds the exact command bytes', () => {
    assert.equal(meterCommands.wavelength(800), 'W0800');
    assert.equal(meterCommands.wavelength(1550), 'W1550');
    assert.equal(meterCommands.wavelength(10_000), 'W10000');
    assert.equal(meterCommands.units('W'), 'U1');
    assert.equal(meterCommands.units('dB'), 'U2');
    assert.equal(meterCommands.units('dBm'), 'U3');
    assert.equal(meterCommands.units('REL'), 'U4');
    assert.equal(meterCommands.range('auto'), 'R0');
    assert.equal(meterCommands.range('8'), 'R8');
    assert.equal(meterCommands.filter('slow'), 'F1');
    assert.equal(meterCommands.filter('fast'), 'F3');
    assert.equal(meterCommands.attenuator(true), 'A1');
    assert.equal(meterCommands.zero(false), 'Z0');
  });
});

describe('1830-C reply parsing', () => {
  it('reads every number form the meter prints', () => {
    assert.equal(parseReading('+.11E-9'), 0.11e-9);
    assert.equal(parseReading('9E-9'), 9e-9);
    assert.equal(parseReading(' -.3010E+1 '), -3.01);
    assert.equal(parseReading('1.234E-3'), 1.234e-3);
    assert.equal(parseReading('5'), 5);
    assert.equal(parseReading('D? +.11E-9'), 0.11e-9, 'an echo on the same line is skipped');
  });

  it('rejects empty and non-numeric replies with PROTOCOL_ERROR naming command and reply', () => {
    for (const reply of ['', '   ', 'OVER', '+.11E', 'E-9', '1..2', '\u0000\u00ff#@!', '1E-9x']) {
      assert.throws(() => parseReading(reply), protocolError('D?', reply), JSON.stringify(reply));
    }
    assert.equal(parseMeterNumber('.'), null);
  });

  it('parses settings replies and refuses unknown codes', () => {
    assert.equal(parseInteger('0800', 'W?'), 800);
    assert.equal(parseCode('3', 'U?', UNIT_CODES), 'dBm');
    assert.equal(parseCode('1', 'F?', FILTER_CODES), 'slow');
    assert.equal(parseRange('0'), 'auto');
    assert.equal(parseRange('7'), '7');
    assert.equal(parseFlag('1', 'A?'), true);
    assert.equal(parseFlag('0', 'Z?'), false);
    assert.throws(() => parseCode('5', 'U?', UNIT_CODES), protocolError('U?', '5'));
    assert.throws(() => parseRange('9'), protocolError('R?', '9'));
    assert.throws(() => parseInteger('800.5', 'W?'), protocolError('W?', '800.5'));
    assert.throws(() => parseFlag('2', 'A?'), protocolError('A?', '2'));
  });
});

describe('1830-C status byte', () => {
  it('parses Q? and says which bits make a reading invalid', () => {
    assert.equal(meterCommands.statusQuery, 'Q?');
    assert.equal(meterCommands.clearStatus, 'C');
    assert.equal(parseStatusByte('0'), 0);
    assert.equal(parseStatusByte('144'), 144);
    assert.equal(parseStatusByte('Q? 08'), 8, 'echo prefix and zero padding');
    assert.throws(() => parseStatusByte('256'), protocolError('Q?', '256'));
    assert.throws(() => parseStatusByte('OL'), protocolError('Q?', 'OL'));
    assert.equal(readingCondition(0), null);
    assert.equal(readingCondition(STATUS_BITS.readDone | STATUS_BITS.messageAvailable), null);
    assert.equal(readingCondition(STATUS_BITS.overRange | STATUS_BITS.readDone), 'over-range');
    assert.equal(readingCondition(STATUS_BITS.saturated | STATUS_BITS.overRange), 'saturated');
  });

  it('reads the status reply split anywhere after an echoed Q?', () => {
    const echo = new EchoFilter();
    const replies: string[] = [];
    const framer = new LineFramer('\n', (line) => {
      if (!echo.isEcho(line)) replies.push(line);
    });
    const bytes = Buffer.from('Q?\n8\n', 'latin1');
    for (let split = 0; split <= bytes.length; split++) {
      replies.length = 0;
      echo.sent('Q?');
      framer.push(bytes.subarray(0, split));
      framer.push(bytes.subarray(split));
      assert.deepEqual(
        replies.map((r) => readingCondition(parseStatusByte(r))),
        ['over-range'],
        `split at ${split}`,
      );
    }
  });
});

describe('1830-C reading format', () => {
  it('prints like the meter and parses back to four significant digits', () => {
    assert.equal(formatReading(0.11e-9), '+.1100E-9');
    assert.equal(formatReading(1.45), '+.1450E+1');
    assert.equal(formatReading(-3.0103), '-.3010E+1');
    assert.equal(formatReading(1), '+.1000E+1');
    assert.equal(formatReading(0.99999), '+.1000E+1');
    assert.equal(formatReading(0), '+.0000E+0');
    for (const v of [1.234e-12, 7.777e-6, 2.9, -42.42, 0.5]) {
      const back = parseReading(formatReading(v));
      assert.ok(Math.abs(back - v) <= Math.abs(v) * 5e-4, `${v} → ${formatReading(v)} → ${back}`);
    }
  });
});

describe('1830-C echo filter', () => {
  it('drops echoes of sent commands, in order, and never a numeric reply', () => {
    const echo = new EchoFilter();
    echo.sent('E0');
    echo.sent('D?');
    assert.equal(echo.isEcho('+.11E-9'), false);
    assert.equal(echo.isEcho('E0'), true);
    assert.equal(echo.isEcho('d?'), true, 'case-insensitive');
    assert.equal(echo.isEcho('D?'), false, 'each echo is consumed once');
    assert.equal(echo.dropped, 2);
  });

  it('forgets older commands once a later one is echoed (echo was off for those)', () => {
    const echo = new EchoFilter();
    echo.sent('W0800');
    echo.sent('W?');
    echo.sent('E1');
    echo.sent('W?');
    assert.equal(echo.isEcho('W?'), true);
    assert.equal(echo.isEcho('W0800'), false);
    assert.equal(echo.isEcho('E1'), true);
    assert.equal(echo.isEcho('W?'), true);
  });

  it('is bounded', () => {
    const echo = new EchoFilter(4);
    for (let i = 0; i < 10; i++) echo.sent(`W${i}`);
    assert.equal(echo.isEcho('W0'), false);
    assert.equal(echo.isEcho('W9'), true);
  });

  it('works on echo and reply lines split anywhere in the byte stream', () => {
    const echo = new EchoFilter();
    echo.sent('D?');
    const replies: string[] = [];
    const framer = new LineFramer('\n', (line) => {
      if (!echo.isEcho(line)) replies.push(line);
    });
    const bytes = Buffer.from('D?\n+.11E-9\n', 'latin1');
    for (let split = 0; split <= bytes.length; split++) {
      replies.length = 0;
      echo.sent('D?');
      framer.push(bytes.subarray(0, split));
      framer.push(bytes.subarray(split));
      assert.deepEqual(replies, ['+.11E-9'], `split at ${split}`);
    }
  });
});
