import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import { ARAVIS_PACKAGE, openAravis, pixelFormatByCode } from './aravis-library.ts';

describe('the libaravis binding', () => {
  it('names the Debian package when the library is missing', () => {
    assert.throws(
      () => openAravis('libaravis-0.8-missing.so.0'),
      (e) =>
        isBenchtopError(e, 'LIBRARY_MISSING') &&
        e.message.includes(`apt-get install ${ARAVIS_PACKAGE}`) &&
        e.details.package === 'libaravis-0.8-0',
    );
  });

  it('knows the PFNC codes of the mono formats it turns into uint16 frames', () => {
    assert.deepEqual(pixelFormatByCode(0x01080001), {
      name: 'Mono8',
      code: 0x01080001,
      bytesPerPixel: 1,
      bitDepth: 8,
    });
    assert.equal(pixelFormatByCode(0x01100007)?.name, 'Mono16');
    assert.equal(pixelFormatByCode(0x02180014), undefined, 'RGB8 is not a mono format');
  });
});
