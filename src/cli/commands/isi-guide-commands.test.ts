import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseParams } from './isi-guide-commands.ts';

describe('benchtop isi command --param', () => {
  it('parses JSON values and keeps other text as text', () => {
    assert.deepEqual(parseParams(['frames=8', 'camera=cam', 'fps=12.5', 'live=true', 'ids=["a","b"]']), {
      frames: 8,
      camera: 'cam',
      fps: 12.5,
      live: true,
      ids: ['a', 'b'],
    });
    assert.deepEqual(parseParams(['note=a=b']), { note: 'a=b' });
    assert.throws(() => parseParams(['frames']), /expected key=value/);
  });
});
