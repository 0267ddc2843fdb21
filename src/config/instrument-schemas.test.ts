import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { instrumentsUnchecked } from './instrument-schemas.ts';
import { ConfigError } from './issues.ts';
import { loadConfig } from './load.ts';
import { redactConfig } from './redact.ts';

const schemas = {
  Widget: Type.Object(
    { gain: Type.Number({ default: 2 }), token: Type.Optional(Type.String({ secret: true })) },
    { additionalProperties: false },
  ),
};
const text = `[[instruments]]\nid = "w"\ntype = "Widget"\nconfig = { token = "abc" }\n`;

describe('instrument schemas are injected into the config layer', () => {
  it('validates, fills defaults and redacts by the table it is given', () => {
    const { config } = loadConfig({ text, instrumentSchemas: schemas });
    assert.deepEqual(config.instruments[0]?.config, { gain: 2, token: 'abc' });
    assert.deepEqual(redactConfig(config).instruments[0]?.config, { gain: 2, token: '***' });
  });

  it('a type missing from the table is unknown', () => {
    assert.throws(
      () => loadConfig({ text, instrumentSchemas: {} }),
      (e: unknown) => e instanceof ConfigError && /unknown instrument type "Widget"/.test(e.message),
    );
  });

  it("unchecked instruments: any type and config pass as written, Benchtop's own sections are still checked", () => {
    const odd =
      '[storage]\noutput_dir = "/data/x"\n[[instruments]]\nid = "w"\ntype = "Widget"\nconfig = { gain = "high" }\n';
    const { config } = loadConfig({ text: odd, instrumentSchemas: instrumentsUnchecked });
    assert.equal(config.storage.output_dir, '/data/x');
    assert.deepEqual(config.instruments[0]?.config, { gain: 'high' });
    assert.throws(
      () => loadConfig({ text: '[storage]\noutput_dri = "x"\n', instrumentSchemas: instrumentsUnchecked }),
      (e: unknown) => e instanceof ConfigError && /output_dri: unknown key/.test(e.message),
    );
  });

  it('src/config imports no instrument code', () => {
    const dir = import.meta.dirname;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      assert.doesNotMatch(readFileSync(join(dir, file), 'utf8'), /from '\.\.\/instruments\//, file);
    }
  });
});
