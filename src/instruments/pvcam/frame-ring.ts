import type { Frame } from '../../core/frame.ts';

interface Slot {
  frameNumber: number;
  /** Null while the frame is still being read out (rendered, in the simulator). */
  frame: Frame | null;
}

/**
 * A circular frame buffer with PVCAM's CIRC_NO_OVERWRITE semantics. A slot is held from the
 * moment the camera starts writing a frame until the consumer unlocks it; when every slot is
 * held, the new frame is lost and counted. Frames leave strictly in frame-number order, so a
 * gap in the numbers a consumer sees is exactly the frames lost there.
 */
export class FrameRing {
  readonly capacity: number;
  private readonly slots: Slot[] = [];
  private lost = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity ${capacity}`);
    this.capacity = capacity;
  }

  /** Slots in use: being written, complete, or locked by the consumer. */
  get held(): number {
    return this.slots.length;
  }

  /** Slots whose frame is still being written (read out; rendered, in the simulator). */
  get filling(): number {
    return this.slots.filter((s) => s.frame === null).length;
  }

  /** Frames lost because every slot was held. */
  get dropped(): number {
    return this.lost;
  }

  /** Camera side: frame `frameNumber` starts. False (and counted) when the buffer is full. */
  claim(frameNumber: number): boolean {
    if (this.slots.length >= this.capacity) {
      this.lost++;
      return false;
    }
    this.slots.push({ frameNumber, frame: null });
    return true;
  }

  /** Camera side: the frame is complete. False if no slot was waiting for it. */
  fill(frame: Frame): boolean {
    const slot = this.slots.find((s) => s.frameNumber === frame.frameNumber && s.frame === null);
    if (!slot) return false;
    slot.frame = frame;
    return true;
  }

  /** Consumer side: the oldest frame, once it is complete (later ones wait behind it). */
  oldest(): Frame | undefined {
    return this.slots[0]?.frame ?? undefined;
  }

  /** Consumer side: unlocks the oldest slot if it holds `frame`. */
  release(frame: Frame): boolean {
    if (this.slots[0]?.frame !== frame) return false;
    this.slots.shift();
    return true;
  }
}
