import { type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Gauge, type Registry } from 'prom-client';
import type { ExitStatus } from '../core/documents.ts';
import type { Logger } from '../core/logger.ts';
import type { PostgresRunDocuments } from '../storage/catalog/postgres-run-documents.ts';
import { reconciledStop } from '../storage/catalog/reconciled-stop.ts';
import type { AcquisitionEnded } from './agent-frames.ts';
import type { BusConfig } from './bus-connection.ts';
import { DOC_WRITER_DURABLE, ensureDocStream } from './doc-stream.ts';
import { decode, encode, PROTOCOL_VERSION, RunDocumentMessage } from './messages.ts';
import { subjects } from './subjects.ts';

/** How a restarted hub closes what its previous process left open. */
export const HUB_RESTART_EXIT_STATUS: ExitStatus = 'fail';

export function hubRestartReason(hubId: string): string {
  return `hub ${hubId} restarted while the run was in progress (its previous process stopped without closing the run)`;
}

/** What a hub's start-up reconciliation did (the log line, `/health` and the metrics say it). */
export interface HubRestartReport {
  at: number;
  reason: string;
  /** Runs closed with a stop document: found open in the hub's catalog, or only in PostgreSQL. */
  runs: { uid: string; foundIn: 'catalog' | 'postgres' }[];
  /** Camera acquisitions agents were still running for those runs, stopped and their files closed. */
  acquisitionsStopped: (AcquisitionEnded & { agent: string })[];
  /** Agents that could not be told now (they are told when next heard from). */
  agentsNotReached: { agent: string; reason: string }[];
  /** Control leases in this hub's name its previous process never released. */
  leasesReleased: string[];
}

export interface HubRestartDeps {
  hubId: string;
  site: string;
  nc: NatsConnection;
  bus: BusConfig;
  logger: Logger;
  now: () => number;
  /** Whether the hub's catalog knows the run (then it, not PostgreSQL, says whether it is closed). */
  inCatalog: (uid: string) => boolean;
  documents: PostgresRunDocuments | null;
  stopRunsOnAgents(
    runs: string[],
    reason: string,
    onLate: (agent: string, stopped: AcquisitionEnded[]) => void,
  ): Promise<{
    stopped: (AcquisitionEnded & { agent: string })[];
    notReached: { agent: string; reason: string }[];
  }>;
}

/**
 * The rest of a hub's start-up reconciliation, once its catalog closed the runs it had open
 * (Benchtop's closeInterruptedRuns: stop documents the publisher sends to the DOCS stream like
 * any other): runs that PostgreSQL holds open in this hub's name but the catalog does not know
 * (its output directory was replaced) get the same stop document published directly, unless the
 * stream already ends the run with one; agents stop the acquisitions of every closed run.
 */
export async function reconcileHubRestart(
  deps: HubRestartDeps,
  found: { closedInCatalog: string[]; leasesReleased: string[] },
): Promise<HubRestartReport> {
  const reason = hubRestartReason(deps.hubId);
  const log = deps.logger.child({ component: 'hub-restart' });
  const report: HubRestartReport = {
    at: deps.now(),
    reason,
    runs: found.closedInCatalog.map((uid) => ({ uid, foundIn: 'catalog' as const })),
    acquisitionsStopped: [],
    agentsNotReached: [],
    leasesReleased: found.leasesReleased,
  };
  const onLate = (agent: string, stopped: AcquisitionEnded[]) => {
    report.acquisitionsStopped.push(...stopped.map((a) => ({ ...a, agent })));
    report.agentsNotReached = report.agentsNotReached.filter((a) => a.agent !== agent);
    if (stopped.length > 0)
      log.warn(
        { agent, stopped },
        `agent ${agent}, back, stopped ${stopped.length} acquisition(s) of closed runs`,
      );
  };
  const stopOnAgents = async (uids: string[]) => {
    if (uids.length === 0) return;
    const agents = await deps.stopRunsOnAgents(uids, reason, onLate);
    report.acquisitionsStopped.push(...agents.stopped);
    for (const a of agents.notReached)
      if (!report.agentsNotReached.some((known) => known.agent === a.agent)) report.agentsNotReached.push(a);
  };
  // PostgreSQL is checked meanwhile (it waits for the document writer): the catalog's runs'
  // acquisitions are stopped without waiting for it.
  const fromPostgres = deps.documents
    ? closeOpenInPostgres(deps, reason).catch((error: unknown) => {
        log.error({ err: error }, 'runs left open in PostgreSQL could not be checked; they stay open there');
        return [] as string[];
      })
    : Promise.resolve([] as string[]);
  await stopOnAgents(found.closedInCatalog);
  const closedInPostgres = await fromPostgres;
  report.runs.push(...closedInPostgres.map((uid) => ({ uid, foundIn: 'postgres' as const })));
  await stopOnAgents(closedInPostgres);
  const runs = report.runs.map((r) => r.uid);
  const message =
    runs.length === 0 && report.leasesReleased.length === 0
      ? `hub ${deps.hubId} start-up: nothing left open by a previous process`
      : `hub ${deps.hubId} start-up reconciled what its previous process left open: ${runs.length} run(s) closed (${report.runs.map((r) => `${r.uid} from the ${r.foundIn}`).join(', ') || 'none'}), ${report.acquisitionsStopped.length} agent acquisition(s) stopped, ${report.leasesReleased.length} control lease(s) released (${report.leasesReleased.join(', ') || 'none'})`;
  const details = {
    runs: report.runs,
    acquisitionsStopped: report.acquisitionsStopped,
    agentsNotReached: report.agentsNotReached,
    leasesReleased: report.leasesReleased,
  };
  // Something was left open: worth a warning (a hub was killed), else a plain start-up line.
  if (runs.length > 0 || report.leasesReleased.length > 0) log.warn(details, message);
  else log.info(details, message);
  for (const a of report.agentsNotReached)
    log.warn(
      { agent: a.agent },
      `agent ${a.agent} not told to stop the closed runs' acquisitions yet: ${a.reason}`,
    );
  return report;
}

/**
 * PostgreSQL is asked only once the document writer has stored what the stream held at start-up
 * (its durable consumer has nothing pending), so a run whose start was still in transit is not
 * missed; bounded by the request timeout ×10, after which the check goes on with what is stored.
 */
async function docWriterCaughtUp(jsm: JetStreamManager, stream: string, deps: HubRestartDeps): Promise<void> {
  const until = deps.now() + deps.bus.request_timeout_ms * 10;
  for (;;) {
    const info = await jsm.consumers.info(stream, DOC_WRITER_DURABLE).catch(() => null);
    if (info && info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (deps.now() > until) {
      deps.logger.warn(
        { stream, pending: info?.num_pending, ackPending: info?.num_ack_pending },
        'run documents still on their way to PostgreSQL; checking the runs it holds open without them',
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Publishes a stop for each run PostgreSQL holds open in this hub's name that nothing else will close. */
async function closeOpenInPostgres(deps: HubRestartDeps, reason: string): Promise<string[]> {
  const jsm = await jetstreamManager(deps.nc);
  const stream = await ensureDocStream(jsm, deps.site, deps.bus);
  await docWriterCaughtUp(jsm, stream, deps);
  const open = (await deps.documents!.openRuns(deps.hubId)).filter((r) => !deps.inCatalog(r.run));
  if (open.length === 0) return [];
  const js = jetstream(deps.nc);
  const closed: string[] = [];
  for (const { run, numEvents } of open) {
    const subject = subjects.documents(deps.site, deps.hubId, run);
    // Documents of a run are published in order: a stream whose last one is a stop has closed it
    // already, and the document writer has not stored it yet.
    const last = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
    if (last && decode(RunDocumentMessage, last.data, 'run document').name === 'stop') continue;
    const stop = reconciledStop(run, {
      time: deps.now() / 1000,
      exitStatus: HUB_RESTART_EXIT_STATUS,
      reason,
      numEvents,
    });
    const message: RunDocumentMessage = {
      v: PROTOCOL_VERSION,
      host: deps.hubId,
      run,
      name: 'stop',
      doc: stop as unknown as Record<string, unknown>,
    };
    await js.publish(subject, encode(RunDocumentMessage, message), { msgID: stop.uid });
    closed.push(run);
  }
  return closed;
}

/**
 * `benchtop_hub_restart_reconciled{what}`: what the hub's start-up reconciliation found left by
 * its previous process (runs closed, agent acquisitions stopped, leases released), read at scrape
 * time so acquisitions stopped later (an agent heard from again) count too.
 */
export function countReconciled(registry: Registry, report: HubRestartReport): void {
  new Gauge({
    name: 'benchtop_hub_restart_reconciled',
    help: "What this hub's start-up closed or released of what its previous process left open",
    labelNames: ['what'],
    registers: [registry],
    collect() {
      this.set({ what: 'runs' }, report.runs.length);
      this.set({ what: 'acquisitions' }, report.acquisitionsStopped.length);
      this.set({ what: 'leases' }, report.leasesReleased.length);
      this.set({ what: 'agents_not_reached' }, report.agentsNotReached.length);
    },
  });
}
