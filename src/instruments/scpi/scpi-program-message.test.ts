import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitProgramMessage } from './scpi-program-message.ts';

describe('splitProgramMessage', () => {
  it('takes a single unit apart into header and parameters', () => {
    assert.deepEqual(splitProgramMessage('MEAS:VOLT:DC? 10, 0.001'), [
      { header: 'MEAS:VOLT:DC?', params: ['10', '0.001'] },
    ]);
  });

  it('continues at the current level after ;', () => {
    assert.deepEqual(splitProgramMessage('VOLT:DC:RANG 10;RANG?'), [
      { header: 'VOLT:DC:RANG', params: ['10'] },
      { header: 'VOLT:DC:RANG?', params: [] },
    ]);
  });

  it('returns to the root after ;:', () => {
    assert.deepEqual(splitProgramMessage('MEAS:VOLT?;:SYST:ERR?'), [
      { header: 'MEAS:VOLT?', params: [] },
      { header: 'SYST:ERR?', params: [] },
    ]);
  });

  it('common commands leave the current level alone', () => {
    assert.deepEqual(
      splitProgramMessage('SENS:VOLT:RANG 1;*CLS;AUTO ON').map((u) => ('header' in u ? u.header : u)),
      ['SENS:VOLT:RANG', '*CLS', 'SENS:VOLT:AUTO'],
    );
  });

  it('a leading colon is the root', () => {
    assert.deepEqual(splitProgramMessage(':MEAS:VOLT?'), [{ header: 'MEAS:VOLT?', params: [] }]);
  });

  it('keeps ; and , inside quoted strings', () => {
    assert.deepEqual(splitProgramMessage('DISP:TEXT "a;b,c";*OPC?'), [
      { header: 'DISP:TEXT', params: ['"a;b,c"'] },
      { header: '*OPC?', params: [] },
    ]);
  });

  it('reports the SCPI errors of malformed messages', () => {
    assert.deepEqual(splitProgramMessage('DISP:TEXT "open'), [
      { error: { code: -102, detail: 'unterminated string in DISP:TEXT "open' } },
    ]);
    assert.equal(errorCode(splitProgramMessage('MEAS$VOLT?')), -101);
    assert.equal(errorCode(splitProgramMessage('MEAS::VOLT?')), -100);
    assert.equal(errorCode(splitProgramMessage('VOLT:RANG 1 2')), -102);
    assert.equal(errorCode(splitProgramMessage('VOLT:RANG 1,,2')), -102);
  });

  it('stops at the first malformed unit', () => {
    const units = splitProgramMessage('*CLS;MEAS$;*OPC?');
    assert.equal(units.length, 2);
    assert.deepEqual(units[0], { header: '*CLS', params: [] });
  });

  it('ignores empty units', () => {
    assert.deepEqual(splitProgramMessage('*RST;;'), [{ header: '*RST', params: [] }]);
  });
});

function errorCode(units: ReturnType<typeof splitProgramMessage>): number | undefined {
  const last = units.at(-1);
  return last && 'error' in last ? last.error.code : undefined;
}
