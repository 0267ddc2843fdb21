import { BenchtopError } from '../../core/errors.ts';
import type { BayerPattern } from '../../core/frame.ts';

/**
 * The GenICam pixel formats Benchtop reads, by PFNC name, and how each buffer becomes uint16
 * samples (decision 0014): mono and raw Bayer as one sample per pixel, RGB/BGR as three
 * interleaved R, G, B samples. Everything else (YUV, RGBa, packed Bayer and RGB, 3-D) is refused
 * by name.
 */
type Packing =
  /** One byte per sample, widened. */
  | 'u8'
  /** Little-endian 16-bit samples, copied. */
  | 'u16'
  /** GigE Vision Mono10Packed / Mono12Packed: two pixels in three bytes, high bits in bytes 0 and 2. */
  | 'gev10'
  | 'gev12'
  /** PFNC Mono10p / Mono12p: a little-endian bit stream with no padding. */
  | 'lsb10'
  | 'lsb12';

export interface PixelFormatSpec {
  /** The PFNC code Aravis reports in a buffer. */
  code: number;
  packing: Packing;
  bitDepth: number;
  channels: 1 | 3;
  bayerPattern?: BayerPattern;
  /** Samples arrive B, G, R and are reordered to R, G, B. */
  bgr?: true;
}

const mono = (code: number, packing: Packing, bitDepth: number): PixelFormatSpec => ({
  code,
  packing,
  bitDepth,
  channels: 1,
});

const bayer = (code: number, bitDepth: number, bayerPattern: BayerPattern): PixelFormatSpec => ({
  code,
  packing: bitDepth === 8 ? 'u8' : 'u16',
  bitDepth,
  channels: 1,
  bayerPattern,
});

/** PFNC names PFNC's Bayer formats by the tile's first row: BayerRG = R G / G B = 'RGGB'. */
const BAYER_TILES: Record<string, BayerPattern> = { RG: 'RGGB', GR: 'GRBG', GB: 'GBRG', BG: 'BGGR' };
/** PFNC codes of the unpacked Bayer formats, by tile and bit depth. */
const BAYER_CODES: Record<string, Record<number, number>> = {
  GR: { 8: 0x01080008, 10: 0x0110000c, 12: 0x01100010, 16: 0x0110002e },
  RG: { 8: 0x01080009, 10: 0x0110000d, 12: 0x01100011, 16: 0x0110002f },
  GB: { 8: 0x0108000a, 10: 0x0110000e, 12: 0x01100012, 16: 0x01100030 },
  BG: { 8: 0x0108000b, 10: 0x0110000f, 12: 0x01100013, 16: 0x01100031 },
};

export const PixelFormats: Readonly<Record<string, PixelFormatSpec>> = {
  Mono8: mono(0x01080001, 'u8', 8),
  Mono10: mono(0x01100003, 'u16', 10),
  Mono12: mono(0x01100005, 'u16', 12),
  Mono14: mono(0x01100025, 'u16', 14),
  Mono16: mono(0x01100007, 'u16', 16),
  Mono10Packed: mono(0x010c0004, 'gev10', 10),
  Mono12Packed: mono(0x010c0006, 'gev12', 12),
  Mono10p: mono(0x010a0046, 'lsb10', 10),
  Mono12p: mono(0x010c0047, 'lsb12', 12),
  ...Object.fromEntries(
    Object.entries(BAYER_CODES).flatMap(([tile, codes]) =>
      Object.entries(codes).map(([depth, code]) => [
        `Bayer${tile}${depth}`,
        bayer(code, Number(depth), BAYER_TILES[tile]!),
      ]),
    ),
  ),
  RGB8: { code: 0x02180014, packing: 'u8', bitDepth: 8, channels: 3 },
  BGR8: { code: 0x02180015, packing: 'u8', bitDepth: 8, channels: 3, bgr: true },
};

/** Every format name Benchtop reads, in the table's order (the PixelFormat signal's choices). */
export const SUPPORTED_PIXEL_FORMATS: readonly string[] = Object.keys(PixelFormats);

/** The format's spec, or VALUE_INVALID naming it and every supported one. */
export function requirePixelFormat(name: string): PixelFormatSpec {
  const spec = PixelFormats[name];
  if (spec) return spec;
  throw new BenchtopError(
    'VALUE_INVALID',
    `pixel format "${name}" is not one Benchtop reads; supported: ${SUPPORTED_PIXEL_FORMATS.join(', ')}`,
    { pixelFormat: name, supported: [...SUPPORTED_PIXEL_FORMATS] },
  );
}

export function pixelFormatByCode(code: number): ({ name: string } & PixelFormatSpec) | undefined {
  for (const [name, format] of Object.entries(PixelFormats))
    if (format.code === code) return { name, ...format };
  return undefined;
}

/** Bytes a width × height image takes in this format. */
export function payloadBytes(spec: PixelFormatSpec, width: number, height: number): number {
  const samples = width * height * spec.channels;
  switch (spec.packing) {
    case 'u8':
      return samples;
    case 'u16':
      return samples * 2;
    case 'gev10':
    case 'gev12':
      return Math.ceil(samples / 2) * 3;
    case 'lsb10':
      return Math.ceil((samples * 10) / 8);
    case 'lsb12':
      return Math.ceil((samples * 12) / 8);
  }
}

/**
 * The image's samples as uint16, in a fresh buffer: one native copy for 16-bit formats, one
 * native widening for 8-bit, a loop for the packed ones and BGR (this runs on the acquisition
 * worker, never on the main event loop).
 */
export function decodePixels(
  spec: PixelFormatSpec,
  bytes: Uint8Array,
  width: number,
  height: number,
): ArrayBuffer {
  const samples = width * height * spec.channels;
  const need = payloadBytes(spec, width, height);
  if (bytes.byteLength < need) {
    throw new BenchtopError(
      'INSTRUMENT_ERROR',
      `a ${width}×${height} frame needs ${need} bytes but the buffer holds ${bytes.byteLength}`,
      { width, height, bytes: bytes.byteLength },
    );
  }
  const out = new Uint16Array(samples);
  switch (spec.packing) {
    case 'u8':
      out.set(bytes.subarray(0, samples));
      break;
    case 'u16':
      new Uint8Array(out.buffer).set(bytes.subarray(0, samples * 2));
      break;
    case 'gev10':
    case 'gev12': {
      const low = spec.packing === 'gev10' ? 2 : 4;
      const mask = (1 << low) - 1;
      // Mono10Packed keeps pixel 1's low bits at bits 4–5, Mono12Packed at bits 4–7.
      for (let i = 0, b = 0; i < samples; i += 2, b += 3) {
        const middle = bytes[b + 1]!;
        out[i] = (bytes[b]! << low) | (middle & mask);
        if (i + 1 < samples) out[i + 1] = (bytes[b + 2]! << low) | ((middle >> 4) & mask);
      }
      break;
    }
    case 'lsb10':
    case 'lsb12': {
      const bits = spec.packing === 'lsb10' ? 10 : 12;
      const mask = (1 << bits) - 1;
      let acc = 0;
      let held = 0;
      let b = 0;
      for (let i = 0; i < samples; i++) {
        while (held < bits) {
          acc |= bytes[b++]! << held;
          held += 8;
        }
        out[i] = acc & mask;
        acc >>>= bits;
        held -= bits;
      }
      break;
    }
  }
  if (spec.bgr) {
    for (let i = 0; i < samples; i += 3) {
      const blue = out[i]!;
      out[i] = out[i + 2]!;
      out[i + 2] = blue;
    }
  }
  return out.buffer;
}
