import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { cameraTransport, FrameNumbering, gigeSettings, streamCounters } from './camera-transport.ts';
import { GenicamCameraConfig } from './config.ts';

/**
 * The GigE-only parts of the GenicamCamera path, decided without a camera: no USB3 Vision fake
 * exists, so this is what shows a U3V camera is not sent GigE Vision settings or asked for
 * GVSP counters (which Aravis answers with a g_critical).
 */
describe('GenicamCamera transports', () => {
  it('tells GigE Vision from USB3 Vision', () => {
    assert.equal(cameraTransport({ isGv: true, isUv: false }), 'GigEVision');
    assert.equal(cameraTransport({ isGv: false, isUv: true }), 'USB3Vision');
    assert.equal(cameraTransport({ isGv: false, isUv: false }), 'other');
  });

  it('asks a USB3 Vision stream only for the counters every Aravis stream declares', () => {
    assert.deepEqual(Object.values(streamCounters('USB3Vision')), [
      'n_completed_buffers',
      'n_failures',
      'n_underruns',
    ]);
    const gige = Object.values(streamCounters('GigEVision'));
    for (const gvsp of ['n_missing_frames', 'n_missing_packets', 'n_resend_requests', 'n_resent_packets'])
      assert.ok(gige.includes(gvsp), gvsp);
  });

  it('applies the packet size and socket buffer to GigE Vision only, reporting a packet size it ignores', () => {
    assert.deepEqual(gigeSettings('GigEVision', { packetSize: 9000 }), {
      packetSize: 9000,
      socketBufferAuto: true,
      ignored: [],
    });
    const usb = gigeSettings('USB3Vision', { packetSize: 9000 });
    assert.equal(usb.packetSize, undefined);
    assert.equal(usb.socketBufferAuto, false);
    assert.match(
      usb.ignored[0] ?? '',
      /packet_size = 9000 applies to GigE Vision only; this camera is USB3Vision/,
    );
    assert.deepEqual(gigeSettings('USB3Vision', {}).ignored, []);
  });

  it('unwraps 16-bit GigE Vision block ids but takes USB3 Vision frame ids as they are', () => {
    const gige = new FrameNumbering('GigEVision');
    assert.deepEqual(
      [65534, 65535, 1, 2].map((id) => gige.next(id)),
      [65534, 65535, 65536, 65537],
    );
    const usb = new FrameNumbering('USB3Vision');
    assert.deepEqual(
      [65535, 65536, 1].map((id) => usb.next(id)),
      [65535, 65536, 1],
    );
  });

  it('takes any Aravis device id, USB3 Vision ones included', () => {
    // Aravis names a U3V camera "<vendor>-<model>-<serial>" (spaces and all), a GigE one "<vendor>-<serial>".
    for (const device_id of ['The Imaging Source Europe GmbH-DMK 33UX264-37710422', 'Basler-21345678'])
      assert.ok(
        Value.Check(GenicamCameraConfig, Value.Default(GenicamCameraConfig, { device_id })),
        device_id,
      );
  });
});
