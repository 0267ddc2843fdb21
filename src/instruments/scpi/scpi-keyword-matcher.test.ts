import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScpiKeywordMatcher } from './scpi-keyword-matcher.ts';

describe('ScpiKeywordMatcher', () => {
  const table: [pattern: string, header: string, expected: 'match' | 'no-match' | 'suffix-out-of-range'][] = [
    ['MEASure:VOLTage[:DC]?', 'MEAS:VOLT:DC?', 'match'],
    ['MEASure:VOLTage[:DC]?', 'MEAS:VOLT?', 'match'],
    ['MEASure:VOLTage[:DC]?', 'measure:voltage:dc?', 'match'],
    ['MEASure:VOLTage[:DC]?', 'MeAs:VoLtAgE?', 'match'],
    ['MEASure:VOLTage[:DC]?', 'MEASURE:VOLT?', 'match'],
    ['MEASure:VOLTage[:DC]?', 'MEASU:VOLT?', 'no-match'],
    ['MEASure:VOLTage[:DC]?', 'MEA:VOLT?', 'no-match'],
    ['MEASure:VOLTage[:DC]?', 'MEAS:VOLTA?', 'no-match'],
    ['MEASure:VOLTage[:DC]?', 'MEAS:VOLT', 'no-match'],
    ['MEASure:VOLTage[:DC]?', 'MEAS?', 'no-match'],
    ['MEASure:VOLTage[:DC]?', 'MEAS:VOLT:DC:DC?', 'no-match'],
    ['MEASure:VOLTage[:DC]?', 'MEAS2:VOLT?', 'suffix-out-of-range'],
    ['MEASure:VOLTage[:DC]?', 'MEAS1:VOLT?', 'match'],
    ['[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', 'VOLT:DC:RANG', 'match'],
    ['[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', 'SENS:VOLT:RANG:UPP', 'match'],
    ['[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', 'sense:voltage:dc:range:upper', 'match'],
    ['[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', 'VOLT:RANG', 'match'],
    ['[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', 'VOLT:DC:RANG?', 'no-match'],
    ['[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', 'SENS:RANG', 'no-match'],
    ['[SENSe:]VOLTage[:DC]:RANGe[:UPPer]', 'SENSE:VOLT:DC:RANGE:AUTO', 'no-match'],
    ['SYSTem:ERRor[:NEXT]?', 'SYST:ERR?', 'match'],
    ['SYSTem:ERRor[:NEXT]?', 'SYSTEM:ERROR:NEXT?', 'match'],
    ['SYSTem:ERRor[:NEXT]?', 'SYSTE:ERR?', 'no-match'],
    ['*IDN?', '*IDN?', 'match'],
    ['*IDN?', '*idn?', 'match'],
    ['*IDN?', '*IDN', 'no-match'],
    ['*RST', '*RST', 'match'],
    ['*RST', '*RS', 'no-match'],
  ];
  for (const [pattern, header, expected] of table) {
    it(`${pattern} vs ${header}: ${expected}`, () => {
      assert.equal(new ScpiKeywordMatcher(pattern).match(header).kind, expected);
    });
  }

  it('knows whether it is a query', () => {
    assert.equal(new ScpiKeywordMatcher('FETCh?').isQuery, true);
    assert.equal(new ScpiKeywordMatcher('INITiate[:IMMediate]').isQuery, false);
  });

  it('names the node whose suffix is out of range', () => {
    assert.deepEqual(new ScpiKeywordMatcher('SYSTem:ERRor?').match('SYST:ERR3?'), {
      kind: 'suffix-out-of-range',
      node: 'ERR3',
    });
  });

  it('refuses a pattern without a short form', () => {
    assert.throws(() => new ScpiKeywordMatcher('volt'), /no uppercase short form/);
  });
});
