import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.ts';
import type { Frame } from '../core/frame.ts';
import { cameraRate, PlaybackSequence, readPlaybackFrame } from './isi-playback.ts';
import { IsiSessionWriter } from './isi-session-writer.ts';

const root = mkdtempSync(join(tmpdir(), 'benchtop-isi-playback-'));
after(() => rmSync(root, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const start = { session: 's', camera: 'cam', display: 'screen', startedAt: T0, parameters: {} };

/** Frame n: every pixel n, exposed at 20 fps. */
function frame(n: number): Frame {
  return {
    frameNumber: n,
    timestamp: T0 + n * 50,
    width: 3,
    height: 2,
    pixels: new Uint16Array(6).fill(n),
  } as unknown as Frame;
}

describe('ISI playback', () => {
  it('replays a session while it is written: play at camera rate, pause, seek, the growing end', async () => {
    const path = join(root, 'growing.h5');
    const writer = await IsiSessionWriter.create(path, start);
    for (let n = 0; n < 10; n++) writer.appendCameraFrame('LR', frame(n));
    await writer.flush();
    const rate = await cameraRate(path, 'LR');
    assert.ok(rate !== null && Math.abs(rate - 20) < 1e-9, `camera rate ${rate}`);

    const clock = new ManualClock();
    const playback = new PlaybackSequence({ id: 'p', session: 's', path, direction: 'LR', fps: rate, clock });
    assert.deepEqual(await playback.state(), {
      id: 'p',
      session: 's',
      direction: 'LR',
      fps: 20,
      playing: false,
      index: 0,
      frames: 10,
    });
    playback.play();
    await clock.advance(250); // 5 frames at 20 fps
    const playing = await playback.frame();
    assert.equal(playing.index, 5);
    assert.deepEqual([...playing.pixels], new Array(6).fill(5));
    assert.equal(playing.sequence, 5);
    assert.equal(playing.timestamp_us, (T0 + 250) * 1000);
    playback.pause();
    await clock.advance(1000);
    assert.equal((await playback.state()).index, 5, 'paused: the position stays');
    playback.seek(2);
    assert.equal((await playback.frame()).pixels[0], 2);
    // Past what was written: held at the last readable frame until the writer's next flush.
    playback.seek(15);
    assert.equal((await playback.state()).index, 9);
    for (let n = 10; n < 20; n++) writer.appendCameraFrame('LR', frame(n));
    await writer.flush();
    const grown = await playback.frame();
    assert.equal(grown.index, 15);
    assert.equal(grown.frames, 20);
    assert.equal(grown.pixels[0], 15);
    await writer.close({ stop_state: 'done' });
    await assert.rejects(readPlaybackFrame(path, 'LR', 20), /frame 20 of LR: the session has 20/);
    await assert.rejects(readPlaybackFrame(path, 'TB', 0), /no camera frames for TB/);
  });
});
