import type { SignalDescription } from '../core/device-description.ts';
import type { ConfigIssue } from './issues.ts';
import type { BenchtopConfig, InstrumentEntry } from './schema.ts';
import { signalGlob } from './signal-glob.ts';

/**
 * An instrument's signals as its device description gives them, or undefined when it cannot be
 * told (no such type, a config its driver refuses). The config layer knows no instrument: the
 * loader's caller passes this (src/app/load-benchtop-config.ts builds it from the catalog).
 */
export type DescribeInstrumentSignals = (entry: InstrumentEntry) => readonly SignalDescription[] | undefined;

/** What the parameter log can hold: numbers (booleans as 0/1); a string or array would be a null each tick. */
const LOGGABLE = new Set<SignalDescription['dtype']>(['number', 'integer', 'boolean']);

/**
 * Resolves each group's `points` globs against the instruments' descriptions and adds what they
 * select to its `signals` (each signal once, the written list first), so everything downstream
 * (the parameter logger, a hub's split into agents' groups) sees one explicit list. A glob that
 * selects nothing is an issue. Only this configuration's own `[[instruments]]` are described: an
 * agent's instruments are not known when a hub loads its file, and delegation to agents names
 * signals one by one, so a hub names an agent's signals in `signals`.
 */
export function resolveLoggingPoints(
  config: BenchtopConfig,
  describe: DescribeInstrumentSignals,
  options: { remoteInstruments?: boolean } = {},
): ConfigIssue[] {
  const groups = Array.isArray(config.logging?.groups) ? config.logging.groups : [];
  if (!groups.some((g) => g?.points !== undefined)) return [];
  const instruments = Array.isArray(config.instruments) ? config.instruments : [];
  const described = new Map<string, string[] | undefined>();
  const loggable = (entry: InstrumentEntry): string[] | undefined => {
    if (!described.has(entry.id)) {
      const signals = describe(entry);
      described.set(
        entry.id,
        signals?.filter((s) => s.readable && LOGGABLE.has(s.dtype)).map((s) => `${entry.id}.${s.name}`),
      );
    }
    return described.get(entry.id);
  };
  const issues: ConfigIssue[] = [];
  groups.forEach((group, g) => {
    if (group?.points === undefined || !Array.isArray(group.signals)) return;
    const patterns = typeof group.points === 'string' ? [group.points] : group.points;
    if (!Array.isArray(patterns)) return; // a wrong type, which the schema check reports
    const selected = new Set(group.signals);
    patterns.forEach((pattern, p) => {
      if (typeof pattern !== 'string') return;
      const glob = signalGlob(pattern);
      let matched = 0;
      for (const entry of instruments) {
        if (typeof entry?.id !== 'string' || !glob.mayMatchInstrument(entry.id)) continue;
        for (const path of loggable(entry) ?? []) {
          if (!glob.matches(path)) continue;
          matched++;
          selected.add(path);
        }
      }
      if (matched > 0) return;
      // Only on this error path are instruments the glob could not reach described too.
      const known = instruments
        .filter((e) => typeof e?.id === 'string' && loggable(e) !== undefined)
        .map((e) => e.id);
      issues.push({
        path:
          typeof group.points === 'string'
            ? ['logging', 'groups', g, 'points']
            : ['logging', 'groups', g, 'points', p],
        message: `group "${group.name}": "${pattern}" matches no readable number or boolean signal; instruments known: ${known.length > 0 ? known.join(', ') : '(none)'}${options.remoteInstruments ? " (points select among this file's own [[instruments]]; name an agent's signals in signals)" : ''}`,
      });
    });
    group.signals = [...selected];
  });
  return issues;
}
