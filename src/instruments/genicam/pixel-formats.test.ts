import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchtopError } from '../../core/errors.ts';
import {
  decodePixels,
  PixelFormats,
  payloadBytes,
  pixelFormatByCode,
  requirePixelFormat,
  SUPPORTED_PIXEL_FORMATS,
} from './pixel-formats.ts';

const decode = (name: string, bytes: number[], width: number, height = 1) =>
  Array.from(new Uint16Array(decodePixels(requirePixelFormat(name), Uint8Array.from(bytes), width, height)));

describe('GenICam pixel formats', () => {
  it('knows the PFNC codes Aravis reports (the fake camera declares these values)', () => {
    // Values from arv-fake-gv-camera-0.8's own GenICam description.
    assert.equal(pixelFormatByCode(17301505)?.name, 'Mono8');
    assert.equal(pixelFormatByCode(17825799)?.name, 'Mono16');
    assert.equal(pixelFormatByCode(17301513)?.name, 'BayerRG8');
    assert.equal(pixelFormatByCode(17301514)?.name, 'BayerGB8');
    assert.equal(pixelFormatByCode(17301512)?.name, 'BayerGR8');
    assert.equal(pixelFormatByCode(17301515)?.name, 'BayerBG8');
    assert.equal(pixelFormatByCode(35127316)?.name, 'RGB8');
    assert.equal(pixelFormatByCode(0x02200016), undefined, 'RGBa8 is not read');
    const codes = Object.values(PixelFormats).map((f) => f.code);
    assert.equal(new Set(codes).size, codes.length, 'every code names one format');
  });

  it('names the Bayer tile from the top-left pixel', () => {
    assert.equal(PixelFormats.BayerRG8?.bayerPattern, 'RGGB');
    assert.equal(PixelFormats.BayerGB12?.bayerPattern, 'GBRG');
    assert.equal(PixelFormats.BayerGR16?.bayerPattern, 'GRBG');
    assert.equal(PixelFormats.BayerBG10?.bitDepth, 10);
    assert.equal(PixelFormats.Mono12?.bayerPattern, undefined);
  });

  it('refuses an unsupported format, naming it and the supported ones', () => {
    assert.throws(
      () => requirePixelFormat('YUV422_8'),
      (e) =>
        isBenchtopError(e, 'VALUE_INVALID') &&
        e.message.includes('"YUV422_8"') &&
        e.message.includes('BayerRG8') &&
        e.message.includes('RGB8') &&
        (e.details.supported as string[]).length === SUPPORTED_PIXEL_FORMATS.length,
    );
  });

  it('widens 8-bit and copies 16-bit samples', () => {
    assert.deepEqual(decode('Mono8', [0, 7, 255], 3), [0, 7, 255]);
    assert.deepEqual(decode('Mono16', [0x34, 0x12, 0xff, 0xff], 2), [0x1234, 0xffff]);
    assert.deepEqual(decode('BayerRG12', [0xff, 0x0f, 0x01, 0x00], 2), [0x0fff, 1]);
  });

  it('interleaves RGB8 as R, G, B and reorders BGR8 to R, G, B', () => {
    assert.deepEqual(decode('RGB8', [1, 2, 3, 4, 5, 6], 2), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(decode('BGR8', [3, 2, 1, 6, 5, 4], 2), [1, 2, 3, 4, 5, 6]);
  });

  it('unpacks GigE Vision Mono12Packed and Mono10Packed (two pixels in three bytes)', () => {
    // P0 = 0xABC, P1 = 0x123: byte 0 = P0 >> 4, byte 1 = P1 low nibble << 4 | P0 low nibble, byte 2 = P1 >> 4.
    assert.deepEqual(decode('Mono12Packed', [0xab, 0x3c, 0x12], 2), [0xabc, 0x123]);
    // P0 = 0x3ff, P1 = 0x201: byte 1 = (P1 & 3) << 4 | (P0 & 3).
    assert.deepEqual(decode('Mono10Packed', [0xff, 0x13, 0x80], 2), [0x3ff, 0x201]);
    // An odd pixel count leaves the last group half used.
    assert.deepEqual(decode('Mono12Packed', [0xab, 0x0c, 0x00], 1), [0xabc]);
  });

  it('unpacks PFNC Mono12p and Mono10p (little-endian bit streams)', () => {
    // P0 = 0xABC, P1 = 0x123 → bits: 0xBC, 0x3A, 0x12.
    assert.deepEqual(decode('Mono12p', [0xbc, 0x3a, 0x12], 2), [0xabc, 0x123]);
    // Four 10-bit pixels 1, 2, 3, 0x3ff in five bytes.
    const pixels = [1, 2, 3, 0x3ff];
    let stream = 0n;
    pixels.forEach((p, i) => {
      stream |= BigInt(p) << BigInt(10 * i);
    });
    const bytes = Array.from({ length: 5 }, (_, i) => Number((stream >> BigInt(8 * i)) & 0xffn));
    assert.deepEqual(decode('Mono10p', bytes, 2, 2), pixels);
    assert.equal(payloadBytes(requirePixelFormat('Mono10p'), 2, 2), 5);
  });

  it('refuses a buffer shorter than the image', () => {
    assert.throws(() => decode('Mono16', [1, 2, 3], 2), /needs 4 bytes but the buffer holds 3/);
  });
});
