/**
 * The camera preview's wire format, written once for both ends: the stream hub encodes it, the
 * dashboard (web/src/camera/preview.ts) decodes it. A binary WebSocket message is a 4-byte
 * little-endian header length, the UTF-8 JSON header, then width × height 8-bit pixels. Web
 * platform APIs only (no Buffer), so the browser bundle imports this file as it is.
 */

/** A preview's header: 8-bit pixels levelled from the 16-bit range [low, high] of the source frame. */
export interface PreviewHeader {
  type: 'camera_preview';
  instrument: string;
  frame_number: number;
  timestamp: number;
  /** The preview's size (downsampled to at most the subscriber's max_width). */
  width: number;
  height: number;
  low: number;
  high: number;
  /** Focus score of the full-resolution frame (normalised Brenner gradient): larger is sharper. */
  focus: number;
  /** The camera frame's size. */
  source_width: number;
  source_height: number;
}

export interface Preview {
  header: PreviewHeader;
  pixels: Uint8Array;
}

const HEADER_LENGTH_BYTES = 4;

export function encodePreviewMessage(header: PreviewHeader, pixels: ArrayLike<number>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(HEADER_LENGTH_BYTES + json.length + pixels.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, HEADER_LENGTH_BYTES);
  out.set(pixels, HEADER_LENGTH_BYTES + json.length);
  return out;
}

/** The preview in a binary message, or null when the message is not a whole preview. */
export function decodePreviewMessage(buffer: ArrayBuffer): Preview | null {
  if (buffer.byteLength < HEADER_LENGTH_BYTES) return null;
  const length = new DataView(buffer).getUint32(0, true);
  if (HEADER_LENGTH_BYTES + length > buffer.byteLength) return null;
  let header: PreviewHeader;
  try {
    header = JSON.parse(
      new TextDecoder().decode(new Uint8Array(buffer, HEADER_LENGTH_BYTES, length)),
    ) as PreviewHeader;
  } catch {
    return null;
  }
  if (header.type !== 'camera_preview') return null;
  const pixels = new Uint8Array(buffer, HEADER_LENGTH_BYTES + length);
  if (pixels.length < header.width * header.height) return null;
  return { header, pixels };
}
