import { BenchtopError } from '../core/errors.ts';
import type { Instrument } from '../core/instrument.ts';
import type { InstrumentDirectory } from '../core/instrument-directory.ts';
import type { RemoteDirectory } from './remote-directory.ts';

/**
 * The hub's instruments: its own (if its configuration has any) and every agent's, one
 * directory for the API and the run engine. Ids are unique across the site, so a lookup
 * never has two answers.
 */
export class SiteDirectory implements InstrumentDirectory {
  private readonly local: InstrumentDirectory;
  private readonly remote: RemoteDirectory;

  constructor(local: InstrumentDirectory, remote: RemoteDirectory) {
    this.local = local;
    this.remote = remote;
  }

  list(): Instrument[] {
    return [...this.local.list(), ...this.remote.list()];
  }

  get(id: string): Instrument {
    if (this.remote.has(id)) return this.remote.get(id);
    try {
      return this.local.get(id);
    } catch (error) {
      if (error instanceof BenchtopError && error.code === 'INSTRUMENT_NOT_FOUND')
        throw new BenchtopError('INSTRUMENT_NOT_FOUND', `no instrument "${id}" on this hub or any agent`, {
          instrument: id,
          known: this.list().map((i) => i.id),
        });
      throw error;
    }
  }

  /** Only remote instruments have control leases; this hub's own have nothing to give up. */
  async releaseControl(id: string): Promise<boolean> {
    if (this.remote.has(id)) return this.remote.releaseControl(id);
    this.get(id);
    return false;
  }

  async restart(id: string): Promise<void> {
    if (this.remote.has(id)) return this.remote.restart(id);
    await this.local.restart?.(id);
  }
}
