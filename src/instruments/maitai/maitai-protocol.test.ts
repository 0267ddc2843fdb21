import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import { LineFramer } from '../../transports/line-framer.ts';
import {
  cleanReply,
  isErrorReply,
  maiTaiCommands,
  parseIdentity,
  parseQuantity,
  parseShutter,
  parseStatus,
} from './maitai-protocol.ts';

const protocolError = (command: string, reply: string) => (e: unknown) =>
  isBenchtopError(e, 'PROTOCOL_ERROR') && e.details.command === command && e.details.reply === reply;

describe('Mai Tai commands', () => {
  it('builds the exact command text', () => {
    assert.equal(maiTaiCommands.wavelength(820), 'WAV 820');
    assert.equal(maiTaiCommands.shutter(true), 'SHUT 1');
    assert.equal(maiTaiCommands.shutter(false), 'SHUT 0');
    assert.equal(maiTaiCommands.watchdog(0), 'TIMER:WATCHDOG 0');
    assert.equal(maiTaiCommands.wavelengthActual, 'READ:WAV?');
    assert.equal(maiTaiCommands.warmup, 'READ:PCTW?');
  });
});

describe('Mai Tai reply parsing', () => {
  it('reads numbers with their unit, with or without a space, XON/XOFF or CR around them', () => {
    assert.equal(parseQuantity('820nm', 'WAV?', 'nm'), 820);
    assert.equal(parseQuantity('819.6 nm', 'READ:WAV?', 'nm'), 819.6);
    assert.equal(parseQuantity('1.234W', 'READ:POW?', 'W'), 1.234);
    assert.equal(parseQuantity('1.234w', 'READ:POW?', 'W'), 1.234);
    assert.equal(parseQuantity('100%', 'READ:PCTW?', '%'), 100);
    assert.equal(parseQuantity('\u001345%\u0011\r', 'READ:PCTW?', '%'), 45);
    assert.equal(parseQuantity('3', 'READ:HUM?', '%'), 3, 'a bare number is accepted');
  });

  it('refuses other units, garbage and empty replies with PROTOCOL_ERROR naming command and reply', () => {
    for (const reply of ['1.2mW', '', 'W', 'abc', '1.2.3W', '\u0000\u00ff#@!']) {
      assert.throws(() => parseQuantity(reply, 'READ:POW?', 'W'), protocolError('READ:POW?', reply), reply);
    }
  });

  it('status byte: bit 0 emission, bit 1 mode-locked', () => {
    assert.deepEqual(parseStatus('0'), { emission: false, modeLocked: false });
    assert.deepEqual(parseStatus('1'), { emission: true, modeLocked: false });
    assert.deepEqual(parseStatus('3\r'), { emission: true, modeLocked: true });
    assert.deepEqual(parseStatus('2'), { emission: false, modeLocked: true });
    for (const bad of ['', '256', '-1', '1.5', 'on'])
      assert.throws(() => parseStatus(bad), protocolError('*STB?', bad));
  });

  it('shutter is 0 or 1', () => {
    assert.equal(parseShutter('1'), true);
    assert.equal(parseShutter(' 0 '), false);
    for (const bad of ['', '2', 'open']) assert.throws(() => parseShutter(bad), protocolError('SHUT?', bad));
  });

  it('identity fields', () => {
    assert.deepEqual(parseIdentity('Spectra Physics,MaiTai,3417,0245-2.00.34'), {
      model: 'Spectra Physics MaiTai',
      serial: '3417',
      firmware: '0245-2.00.34',
      raw: 'Spectra Physics,MaiTai,3417,0245-2.00.34',
    });
    assert.throws(() => parseIdentity('hello'), protocolError('*IDN?', 'hello'));
  });

  it('recognises refusals', () => {
    assert.equal(isErrorReply('Error: not warmed up'), true);
    assert.equal(isErrorReply('EXECUTION ERROR'), true);
    assert.equal(isErrorReply('100%'), false);
    assert.equal(cleanReply('\u0011 1.0W \u0013'), '1.0W');
  });

  it('frames LF-terminated replies split anywhere', () => {
    const bytes = Buffer.from('820nm\n1.234W\r\n', 'latin1');
    for (let split = 0; split <= bytes.length; split++) {
      const lines: string[] = [];
      const framer = new LineFramer('\n', (l) => lines.push(l));
      framer.push(bytes.subarray(0, split));
      framer.push(bytes.subarray(split));
      assert.deepEqual(
        [parseQuantity(lines[0]!, 'WAV?', 'nm'), parseQuantity(lines[1]!, 'READ:POW?', 'W')],
        [820, 1.234],
        `split at ${split}`,
      );
    }
  });
});
