import type { BayerPattern } from '../../core/frame.ts';

/** Messages between the GenicamCamera driver (main thread) and its acquisition worker. */

export interface GenicamSettings {
  deviceId?: string;
  pixelFormat: string;
  roi: { x: number; y: number; width?: number; height?: number };
  binning: number;
  exposureUs: number;
  frameRate: number;
  /** 'off' for free run, else a trigger source (`Software`, `Line1`). */
  trigger: string;
  packetSize?: number;
}

/**
 * A frame as the worker sends it: `pixels` is a transferred buffer of uint16 row-major samples
 * (three per pixel, R G B, when `channels` is 3).
 */
export interface WorkerFrame {
  pixels: ArrayBuffer;
  width: number;
  height: number;
  frameNumber: number;
  timestamp: number;
  bitDepth: number;
  exposureMs: number;
  channels?: 3;
  bayerPattern?: BayerPattern;
}

/** Aravis's stream counters, summed over every stream since the camera opened. */
export interface StreamStatistics {
  completed: number;
  failures: number;
  underruns: number;
  missingFrames: number;
  missingPackets: number;
  resendRequests: number;
  resentPackets: number;
}

export type WorkerRequest =
  | { op: 'open'; settings: GenicamSettings }
  | { op: 'read'; feature: string }
  | { op: 'write'; feature: string; value: number | string }
  | { op: 'set_region'; region: { x: number; y: number; width: number; height: number } }
  | { op: 'execute'; feature: string }
  | { op: 'start'; bufferFrames: number; maxInFlight: number }
  | { op: 'stop' }
  | { op: 'statistics' }
  | { op: 'close' };

export type MainToWorker = { id: number; request: WorkerRequest } | { ack: number };

export interface WorkerStatistics extends StreamStatistics {
  /** Frames dropped because the main thread still held `maxInFlight` frames. */
  consumerDrops: number;
  /** Frames refused because the camera sent a pixel format Benchtop does not read. */
  unsupportedFormatFrames: number;
  /** What that format was and which ones are read (absent while every frame was readable). */
  unsupportedFormat?: string;
}

export type WorkerToMain =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }
  | { frame: WorkerFrame }
  | { lost: { code: string; message: string } }
  /** The camera sends a pixel format Benchtop does not read (posted once until the next write). */
  | { refused: { code: string; message: string; details?: Record<string, unknown> } };
