import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../core/logger.ts';
import type { PostgresRunDocuments, StoredRunDocument } from '../storage/catalog/postgres-run-documents.ts';
import type { BusConfig } from './bus-connection.ts';
import { DOC_WRITER_DURABLE, ensureDocConsumer, ensureDocStream } from './doc-stream.ts';
import { DurableWriter } from './durable-writer.ts';
import { decode, RunDocumentMessage } from './messages.ts';

/**
 * The hub's run-document writer: documents from the DOCS stream's durable consumer into
 * PostgreSQL, one insert per fetch keyed by document uid, so a repeat is stored once.
 * `written` counts documents stored new.
 */
export class DocWriter extends DurableWriter<StoredRunDocument> {
  constructor(options: {
    nc: NatsConnection;
    store: PostgresRunDocuments;
    site: string;
    bus: BusConfig;
    logger: Logger;
  }) {
    super({
      nc: options.nc,
      logger: options.logger,
      component: 'doc-writer',
      what: 'run document',
      open: async (jsm) => {
        const stream = await ensureDocStream(jsm, options.site, options.bus);
        await ensureDocConsumer(jsm, stream);
        return { stream, durable: DOC_WRITER_DURABLE };
      },
      decode: (data, seq) => {
        const message = decode(RunDocumentMessage, data, 'run document');
        return [
          {
            uid: String(message.doc.uid),
            run: message.run,
            name: message.name,
            host: message.host,
            streamSeq: seq,
            doc: message.doc,
          },
        ];
      },
      write: (documents) => options.store.insert(documents),
    });
  }
}
