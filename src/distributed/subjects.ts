/**
 * NATS subjects, kind first (docs: shared reference "distributed"): readings, events, run
 * documents, commands, heartbeats. Ids become safe tokens: NATS splits on `.` and treats `*`,
 * `>` and whitespace specially, so those (and `%`, the escape itself) are percent-encoded; the
 * mapping is reversible, so a subscriber recovers the id from the subject.
 */

const UNSAFE = /[.*>%\s]/g;

export function token(id: string): string {
  if (id.length === 0) throw new Error('an empty id has no subject token');
  return id.replace(UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}

export function untoken(tok: string): string {
  return tok.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export const subjects = {
  readings: (site: string, host: string, inst: string, signal: string) =>
    `daq.tlm.${token(site)}.${token(host)}.${token(inst)}.${token(signal)}`,
  allReadings: (site: string) => `daq.tlm.${token(site)}.>`,
  events: (site: string, host: string, inst: string) =>
    `daq.evt.${token(site)}.${token(host)}.${token(inst)}`,
  allEvents: (site: string) => `daq.evt.${token(site)}.>`,
  documents: (site: string, host: string, runUid: string) =>
    `daq.doc.${token(site)}.${token(host)}.${token(runUid)}`,
  allDocuments: (site: string) => `daq.doc.${token(site)}.>`,
  command: (host: string, inst: string, verb: string) =>
    `daq.cmd.${token(host)}.${token(inst)}.${token(verb)}`,
  allCommands: (host: string) => `daq.cmd.${token(host)}.>`,
  /** Parameter-log batches (captured by the site's LOG stream, unlike live readings). */
  log: (site: string, host: string) => `daq.log.${token(site)}.${token(host)}`,
  allLogs: (site: string) => `daq.log.${token(site)}.>`,
  heartbeat: (host: string) => `daq.hb.${token(host)}`,
  allHeartbeats: () => 'daq.hb.*',
};

/** The agent's own verbs (clock, restart) go to this pseudo-instrument, which no real id can be (`%` is escaped). */
export const AGENT_TARGET = '%agent';

/** `daq.cmd.<host>.<inst>.<verb>` → its parts, or null for anything else. */
export function parseCommandSubject(subject: string): { host: string; inst: string; verb: string } | null {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== 'daq' || parts[1] !== 'cmd') return null;
  const [host, inst, verb] = parts.slice(2) as [string, string, string];
  return {
    host: untoken(host),
    inst: inst === AGENT_TARGET ? AGENT_TARGET : untoken(inst),
    verb: untoken(verb),
  };
}

/** The subject of the agent's own verbs. */
export const agentCommand = (host: string, verb: string) =>
  `daq.cmd.${token(host)}.${AGENT_TARGET}.${token(verb)}`;

/** KV keys allow `[-/_=.a-zA-Z0-9]`: ids are percent-encoded into that set (`%` itself becomes `=`). */
export function kvKey(id: string): string {
  return id.replace(/[^-_a-zA-Z0-9]/g, (c) => {
    const code = c.codePointAt(0)!;
    if (code > 0xffff) throw new Error(`"${id}": characters outside the basic plane are not allowed in ids`);
    return `=${code.toString(16).padStart(4, '0')}`;
  });
}

export function fromKvKey(key: string): string {
  return key.replace(/=([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
