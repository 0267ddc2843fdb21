import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import { ARAVIS_PACKAGE, openAravis } from './aravis-library.ts';

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
});
