import { Readable } from 'node:stream';
import { BenchtopError } from '../core/errors.ts';
import type { Frame, StoredFrames } from '../core/frame.ts';
import type { FrameRequest, FrameSource } from '../core/frame-source.ts';
import { FRAMES_DATASET } from '../storage/hdf5/frame-series.ts';
import { HDF5_MIMETYPE } from '../storage/hdf5/run-file-layout.ts';
import { type FrameMeta, MAX_CHUNK_BYTES } from './agent-frames.ts';
import { type SendCommand, unwrap } from './remote-instrument.ts';

/**
 * A camera on an agent, as the hub's run engine sees it: `acquire` asks the agent to take the
 * frames into a file on its host and yields one pixel-less Frame per frame it reports (number,
 * time, shape), each saying where it is stored (Frame.storedAt), so the run's documents
 * reference the agent's file and the hub's writer gets no pixels. Frame reports are long polls
 * (`frames`, ordered and retried by request/reply, never lost like a dropped publish).
 */
export class RemoteFrameSource implements FrameSource {
  private readonly send: SendCommand;
  private readonly agentId: string;
  private readonly host: string;
  private readonly camera: string;
  private readonly timeoutMs: number;
  private sequence = 0;
  /** Frames of each run's frames file this hub has counted: a resumed acquisition keeps exactly those. */
  private readonly counted = new Map<string, number>();

  constructor(options: {
    send: SendCommand;
    agentId: string;
    host: string;
    camera: string;
    timeoutMs: number;
  }) {
    this.send = options.send;
    this.agentId = options.agentId;
    this.host = options.host;
    this.camera = options.camera;
    this.timeoutMs = options.timeoutMs;
  }

  async *acquire(request: FrameRequest): AsyncIterable<Frame> {
    const run = request.run ?? `frames-${Date.now()}-${++this.sequence}`;
    const started = unwrap(
      await this.send(
        'acquire',
        {
          run,
          keepFrames: this.counted.get(run) ?? 0,
          ...(request.count !== undefined ? { count: request.count } : {}),
          ...(request.durationMs !== undefined ? { durationMs: request.durationMs } : {}),
          ...(request.exposureMs !== undefined ? { exposureMs: request.exposureMs } : {}),
        },
        this.timeoutMs,
      ),
    ) as { acquisition: string; file: string };
    // As the hub's own HDF5 frames (run-file-layout's hdf5FrameResource): the dataset and its
    // chunk shape, plus where the file is (host, agent, path under the agent's output_dir).
    const storedAt = (shape: [number, number]): StoredFrames => ({
      mimetype: HDF5_MIMETYPE,
      uri: agentFileName(this.agentId, started.file),
      parameters: {
        host: this.host,
        agent: this.agentId,
        path: started.file,
        dataset: FRAMES_DATASET,
        data_key: this.camera,
        shape,
        chunk_shape: [1, ...shape],
      },
      file: agentFileName(this.agentId, started.file),
    });
    let from = 0;
    let finished = false;
    try {
      // A long poll waits for a frame at most half the request timeout: a silent agent is still "hung".
      const waitMs = Math.max(50, Math.floor(this.timeoutMs / 2));
      while (!request.signal.aborted) {
        const report = unwrap(
          await this.send('frames', { acquisition: started.acquisition, from, waitMs }, this.timeoutMs),
        ) as {
          frames: FrameMeta[];
          done: boolean;
          total: number;
          error: { code: string; message: string } | null;
        };
        for (const meta of report.frames) {
          from++;
          this.counted.set(run, (this.counted.get(run) ?? 0) + 1);
          yield {
            pixels: new Uint16Array(0),
            width: meta.width,
            height: meta.height,
            frameNumber: meta.frameNumber,
            timestamp: meta.timestamp,
            bitDepth: meta.bitDepth,
            exposureMs: meta.exposureMs,
            storedAt: storedAt([meta.height, meta.width]),
          };
        }
        if (report.done && from >= report.total) {
          finished = true;
          if (report.error)
            throw new BenchtopError(
              'INSTRUMENT_ERROR',
              `${this.camera} on agent ${this.agentId}: ${report.error.message}`,
              {
                instrument: this.camera,
                agent: this.agentId,
              },
            );
          return;
        }
      }
    } finally {
      // The run stopped waiting (or the engine broke off after its count): the camera stops too.
      if (!finished)
        await this.send('stop_acquisition', { acquisition: started.acquisition }, this.timeoutMs).catch(
          () => {},
        );
    }
  }
}

const agentFileScheme = 'agent://';

/** The run's file entry for a file on an agent: `agent://<agentId>/<path under its output_dir>`. */
export function agentFileName(agentId: string, path: string): string {
  return `${agentFileScheme}${encodeURIComponent(agentId)}/${path}`;
}

/** The agent and path of an `agent://` run file entry; null for a file of the hub's own. */
export function parseAgentFileName(file: string): { agentId: string; path: string } | null {
  if (!file.startsWith(agentFileScheme)) return null;
  const rest = file.slice(agentFileScheme.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  return { agentId: decodeURIComponent(rest.slice(0, slash)), path: rest.slice(slash + 1) };
}

export type SendAgentCommand = (
  agentId: string,
  verb: string,
  args: Record<string, unknown>,
) => Promise<unknown>;

/**
 * The hub serving a run's files that stay on agents: the file is read from its agent in chunks
 * of at most MAX_CHUNK_BYTES, one request in flight, as the HTTP client consumes them (a slow
 * client holds one chunk in memory, not the file).
 */
export class AgentFiles {
  private readonly send: SendAgentCommand;

  constructor(send: SendAgentCommand) {
    this.send = send;
  }

  owns(file: string): boolean {
    return file.startsWith(agentFileScheme);
  }

  async open(file: string): Promise<{ size: number; stream: Readable }> {
    const parsed = parseAgentFileName(file);
    if (!parsed) throw new BenchtopError('NOT_FOUND', `"${file}" names no agent file`, { file });
    const { agentId, path } = parsed;
    const { size } = (await this.send(agentId, 'file_size', { file: path })) as { size: number };
    let offset = 0;
    const send = this.send;
    const stream = new Readable({
      highWaterMark: MAX_CHUNK_BYTES,
      read() {
        if (offset >= size) {
          this.push(null);
          return;
        }
        const length = Math.min(MAX_CHUNK_BYTES, size - offset);
        send(agentId, 'file_read', { file: path, offset, length }).then(
          (chunk) => {
            const { data, bytes } = chunk as { data: string; bytes: number };
            if (bytes === 0) {
              this.destroy(new BenchtopError('STORAGE_ERROR', `${file} ended at ${offset} of ${size} bytes`));
              return;
            }
            offset += bytes;
            this.push(Buffer.from(data, 'base64'));
          },
          (error: unknown) => this.destroy(error as Error),
        );
      },
    });
    return { size, stream };
  }
}
