import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildSetCommand,
  formatNr3,
  formatValue,
  isOpcReply,
  parseBoolean,
  parseErrorReply,
  parseIdentity,
  parseInteger,
  parseNumber,
  parseString,
} from './scpi-codec.ts';

describe('SCPI reply parsers', () => {
  it('reads NR1, NR2 and NR3 numbers and nothing else', () => {
    assert.equal(parseNumber('+1.23456789E+00'), 1.23456789);
    assert.equal(parseNumber('-4.5E-03\r'), -0.0045);
    assert.equal(parseNumber('42'), 42);
    assert.equal(parseNumber('+0.25'), 0.25);
    assert.equal(parseNumber('.5'), 0.5);
    assert.equal(parseNumber('+9.9E+37'), 9.9e37);
    for (const bad of ['', 'abc', '1.2.3', '1,2', '0x10', 'NaN', 'Infinity', '1e999', '\u0000\u00ff#@!']) {
      assert.equal(parseNumber(bad), null, JSON.stringify(bad));
    }
  });

  it('reads integers only when the value is whole', () => {
    assert.equal(parseInteger('+5'), 5);
    assert.equal(parseInteger('1.0E+01'), 10);
    assert.equal(parseInteger('1.5'), null);
  });

  it('reads booleans as 1/0 or ON/OFF', () => {
    assert.equal(parseBoolean('1'), true);
    assert.equal(parseBoolean('+0'), false);
    assert.equal(parseBoolean('on'), true);
    assert.equal(parseBoolean('OFF'), false);
    assert.equal(parseBoolean('2'), null);
  });

  it('unquotes string data and undoubles inner quotes', () => {
    assert.equal(parseString('"VOLT +1.0E+01"'), 'VOLT +1.0E+01');
    assert.equal(parseString('"say ""hi"""'), 'say "hi"');
    assert.equal(parseString('AUTO'), 'AUTO');
  });

  it('parses *IDN? into manufacturer, model, serial and firmware', () => {
    assert.deepEqual(parseIdentity('KEITHLEY INSTRUMENTS,MODEL DMM6500,04412345,1.7.5b'), {
      manufacturer: 'KEITHLEY INSTRUMENTS',
      model: 'MODEL DMM6500',
      serial: '04412345',
      firmware: '1.7.5b',
      raw: 'KEITHLEY INSTRUMENTS,MODEL DMM6500,04412345,1.7.5b',
    });
    assert.deepEqual(parseIdentity('Agilent Technologies,34401A,0,11-5-2'), {
      manufacturer: 'Agilent Technologies',
      model: '34401A',
      firmware: '11-5-2',
      raw: 'Agilent Technologies,34401A,0,11-5-2',
    });
    assert.equal(parseIdentity(''), null);
    assert.equal(parseIdentity('just-a-word'), null);
    assert.equal(parseIdentity('\u0000\u00ff#@!,x'), null);
  });

  it('parses SYST:ERR? entries, including +0 and quotes in the text', () => {
    assert.deepEqual(parseErrorReply('0,"No error"'), { code: 0, text: 'No error' });
    assert.deepEqual(parseErrorReply('+0,"No error"'), { code: 0, text: 'No error' });
    assert.deepEqual(parseErrorReply('-113,"Undefined header;FOO?"'), {
      code: -113,
      text: 'Undefined header;FOO?',
    });
    assert.deepEqual(parseErrorReply('-222,"Data out of range ""5000"""'), {
      code: -222,
      text: 'Data out of range "5000"',
    });
    assert.deepEqual(parseErrorReply(' -350 , "Queue overflow" '), { code: -350, text: 'Queue overflow' });
    assert.equal(parseErrorReply('+5'), null, 'a bare number is a late reply, not an error entry');
    assert.equal(parseErrorReply('+1.23E+00'), null);
    assert.equal(parseErrorReply('garbage'), null);
  });

  it('recognises the *OPC? reply', () => {
    assert.equal(isOpcReply('1'), true);
    assert.equal(isOpcReply('+1'), true);
    assert.equal(isOpcReply('0'), false);
  });
});

describe('SCPI command builders', () => {
  it('formats values as program data', () => {
    assert.equal(formatValue(true), '1');
    assert.equal(formatValue(false), '0');
    assert.equal(formatValue(10), '10');
    assert.equal(formatValue(1e-7), '1E-7');
    assert.equal(formatValue('AUTO'), 'AUTO');
  });

  it('fills the {value} placeholder', () => {
    assert.equal(buildSetCommand('VOLT:DC:RANG {value}', 100), 'VOLT:DC:RANG 100');
    assert.equal(buildSetCommand('OUTP {value}', true), 'OUTP 1');
    assert.equal(buildSetCommand('SOUR:VOLT {value};:SOUR:VOLT? ', 2.5), 'SOUR:VOLT 2.5;:SOUR:VOLT? ');
  });

  it('formats NR3 the way DMMs send it', () => {
    assert.equal(formatNr3(1.23456789), '+1.23456789E+00');
    assert.equal(formatNr3(-0.0045), '-4.50000000E-03');
    assert.equal(formatNr3(9.9e37), '+9.90000000E+37');
    assert.equal(formatNr3(0), '+0.00000000E+00');
    assert.equal(formatNr3(1000), '+1.00000000E+03');
    assert.equal(parseNumber(formatNr3(0.012345678)), 0.012345678);
  });
});
