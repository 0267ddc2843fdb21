import type { CommandReply } from './messages.ts';

/**
 * Idempotent command handling: the reply to each command id is kept (bounded, oldest dropped),
 * so a hub that retries after a lost reply gets the first answer instead of a second move.
 */
export class CommandCache {
  private readonly replies = new Map<string, Promise<CommandReply>>();
  private readonly capacity: number;

  constructor(capacity = 4096) {
    this.capacity = capacity;
  }

  /** The reply to `cmdId`: the one already made (or being made), else `run()`'s. */
  handle(cmdId: string, run: () => Promise<CommandReply>): Promise<CommandReply> {
    const known = this.replies.get(cmdId);
    if (known) return known;
    const reply = run();
    this.replies.set(cmdId, reply);
    if (this.replies.size > this.capacity) this.replies.delete(this.replies.keys().next().value!);
    return reply;
  }

  get size(): number {
    return this.replies.size;
  }
}
