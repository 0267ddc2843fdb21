import pg from 'pg';
import { BenchtopError } from '../../core/errors.ts';

/** One run document as the site's shared record keeps it. */
export interface StoredRunDocument {
  uid: string;
  run: string;
  name: string;
  /** Who ran the plan (a hub's id). */
  host: string;
  /** Position in the site's document stream: the order documents were published in. */
  streamSeq: number;
  doc: Record<string, unknown>;
}

/**
 * Run documents in PostgreSQL, the site's shared record beside the parameter log: keyed by the
 * document's uid, so a document delivered again (redelivery, replay, a second publish) is
 * stored once (`ON CONFLICT (uid) DO NOTHING`).
 */
export class PostgresRunDocuments {
  private readonly pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  static async connect(url: string): Promise<PostgresRunDocuments> {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => {});
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS run_documents (
        uid text PRIMARY KEY,
        run_uid text NOT NULL,
        name text NOT NULL,
        host text NOT NULL,
        stream_seq bigint NOT NULL,
        doc jsonb NOT NULL
      )`);
      await pool.query('CREATE INDEX IF NOT EXISTS run_documents_run ON run_documents (run_uid, stream_seq)');
    } catch (error) {
      await pool.end();
      throw new BenchtopError(
        'STORAGE_ERROR',
        `Cannot set up the run_documents table in PostgreSQL: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
    return new PostgresRunDocuments(pool);
  }

  /** Stores a batch in one statement; returns how many were new. */
  async insert(documents: readonly StoredRunDocument[]): Promise<number> {
    if (documents.length === 0) return 0;
    const result = await this.pool.query(
      `INSERT INTO run_documents (uid, run_uid, name, host, stream_seq, doc)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[])
       ON CONFLICT (uid) DO NOTHING`,
      [
        documents.map((d) => d.uid),
        documents.map((d) => d.run),
        documents.map((d) => d.name),
        documents.map((d) => d.host),
        documents.map((d) => d.streamSeq),
        documents.map((d) => JSON.stringify(d.doc)),
      ],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Runs published by `host` (a hub's id) with a start document and no stop, each with its events
   * per stream name: what that hub's previous process left open in the site's record.
   */
  async openRuns(host: string): Promise<{ run: string; numEvents: Record<string, number> }[]> {
    const result = await this.pool.query(
      `SELECT s.run_uid AS run,
              coalesce((SELECT jsonb_object_agg(stream, n) FROM (
                 SELECT d.doc->>'name' AS stream, count(*) AS n
                 FROM run_documents e JOIN run_documents d
                   ON d.run_uid = e.run_uid AND d.name = 'descriptor' AND d.uid = e.doc->>'descriptor'
                 WHERE e.run_uid = s.run_uid AND e.name = 'event'
                 GROUP BY 1) counts), '{}'::jsonb) AS num_events
       FROM run_documents s
       WHERE s.name = 'start' AND s.host = $1
         AND NOT EXISTS (SELECT 1 FROM run_documents t WHERE t.run_uid = s.run_uid AND t.name = 'stop')
       ORDER BY s.stream_seq`,
      [host],
    );
    return result.rows.map((r: { run: string; num_events: Record<string, number | string> }) => ({
      run: r.run,
      numEvents: Object.fromEntries(Object.entries(r.num_events).map(([k, v]) => [k, Number(v)])),
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
