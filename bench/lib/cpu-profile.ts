import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './child-process.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Cost {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileOptions {
  limit?: number;
  /** Only the first this-many ms of each profile (e.g. start-up). */
  untilMs?: number;
  /** Group by function (default) or by where the code lives (src area, npm package, node internals). */
  by?: 'function' | 'package';
}

function file(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return '';
  return frame.url.startsWith('file://') ? relative(repoRoot, new URL(frame.url).pathname) : frame.url;
}

function functionLabel(frame: ProfileNode['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  const where = file(frame);
  return where ? `${name} ${where}:${frame.lineNumber + 1}` : name;
}

function packageLabel(frame: ProfileNode['callFrame']): string {
  const where = file(frame);
  if (!where) return frame.functionName || '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (pkg) return `npm:${pkg[1]}`;
  if (where.startsWith('node:')) return 'node internals';
  if (where.startsWith('wasm://')) return 'wasm';
  return where.split('/').slice(0, 2).join('/');
}

/** Self time over every `.cpuprofile` in `dir` (node --cpu-prof output), largest first. */
export function profileCosts(dir: string, options: ProfileOptions = {}): Cost[] {
  const label = options.by === 'package' ? packageLabel : functionLabel;
  const totals = new Map<string, number>();
  let all = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, label(n.callFrame)]));
    let elapsedUs = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      const us = profile.timeDeltas[i] ?? 0;
      elapsedUs += us;
      if (options.untilMs !== undefined && elapsedUs > options.untilMs * 1000) break;
      const key = byId.get(profile.samples[i]!) ?? '?';
      totals.set(key, (totals.get(key) ?? 0) + us);
      all += us;
    }
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.limit ?? 20)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: all === 0 ? 0 : us / all }));
}

export function summarizeProfiles(dir: string, options: ProfileOptions = {}): string {
  return profileCosts(dir, options)
    .map(
      (f) => `${(f.share * 100).toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}`,
    )
    .join('\n');
}
