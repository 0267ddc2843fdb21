import { parentPort, workerData } from 'node:worker_threads';
import { type CortexMaps, cortexMaps, renderCortex } from './cortex-pattern.ts';
import type { RenderReply, RenderRequest } from './frame-renderer.ts';
import { NoiseTable, type RenderSetup, renderTestPattern } from './test-pattern.ts';

/**
 * The simulated sensor's pixel work, off the main event loop: receives a few numbers per frame
 * (the scene), renders the test pattern into a fresh buffer and transfers that buffer back.
 */

const NOISE_SAMPLES = 1 << 20;

const port = parentPort;
if (!port) throw new Error('frame-render-worker must run in a worker thread');
const seed = (workerData as { seed: number }).seed;
const noise = new NoiseTable(NOISE_SAMPLES, seed);
const setups = new Map<number, RenderSetup>();
/** The cortex scene's maps of the current acquisition, built once at its setup. */
const cortexMapsOf = new Map<number, CortexMaps>();

port.on('message', (message: RenderRequest) => {
  switch (message.type) {
    case 'setup':
      // Only the newest acquisition's setup is ever used again.
      setups.clear();
      cortexMapsOf.clear();
      setups.set(message.acquisition, message.setup);
      if (message.setup.cortex)
        cortexMapsOf.set(message.acquisition, cortexMaps(message.setup, message.setup.cortex));
      return;
    case 'cancel':
      setups.clear();
      cortexMapsOf.clear();
      return;
    case 'render': {
      const setup = setups.get(message.acquisition);
      // A request for an acquisition that has since been replaced: its frames are unwanted.
      if (!setup) return;
      const pixels = new Uint16Array(setup.width * setup.height);
      noise.reseed(
        (seed ^ Math.imul(message.acquisition, 0x9e3779b1) ^ Math.imul(message.frameNumber, 0x85ebca6b)) >>>
          0,
      );
      const maps = cortexMapsOf.get(message.acquisition);
      if (setup.cortex && maps && message.scene.cortex)
        renderCortex(setup, setup.cortex, maps, message.scene.cortex, noise, pixels);
      else renderTestPattern(setup, message.scene, noise, pixels);
      const reply: RenderReply = {
        type: 'frame',
        acquisition: message.acquisition,
        frameNumber: message.frameNumber,
        pixels: pixels.buffer,
      };
      port.postMessage(reply, [pixels.buffer]);
      return;
    }
  }
});

port.postMessage({ type: 'ready' } satisfies RenderReply);
