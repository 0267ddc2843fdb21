import { BenchtopError } from '../../core/errors.ts';
import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';

/** A controller tag as the LogixPlc's `list_tags` action reports it. */
interface ListedTag {
  name: string;
  type: string;
  dimensions: number;
}

/** The columns of the tag table: name, CIP type, array dimensions (blank for a scalar). */
export function tagTable(tags: readonly ListedTag[]): string {
  if (tags.length === 0) return 'no tags\n';
  const header = ['NAME', 'TYPE', 'DIMS'];
  const rows = tags.map((t) => [t.name, t.type, t.dimensions > 0 ? String(t.dimensions) : '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/**
 * `benchtop plc tags INSTRUMENT`: the controller's own tag list (symbol class 0x6B, uploaded
 * now through the instrument's `list_tags` action), so a user can pick tag names for the
 * `tags` table of a LogixPlc instead of typing them from the PLC program.
 */
export async function plcTagsAction(
  inv: Invocation<{ url?: string; json?: boolean }, { instrument: string }>,
): Promise<number> {
  const client = new ApiClient(clientOptions(inv.options, inv.env));
  const id = inv.args.instrument;
  const path = `/api/v1/instruments/${encodeURIComponent(id)}`;
  const described = await client.request<{ type: string; actions: { name: string }[] }>('GET', path);
  if (!described.actions.some((a) => a.name === 'list_tags')) {
    throw new BenchtopError(
      'NOT_FOUND',
      `${id} is a ${described.type}: it has no controller tag list (list_tags); plc tags lists a LogixPlc's tags`,
      { instrument: id },
    );
  }
  const reply = await client.request<{ result: { tags: ListedTag[] } }>('POST', `${path}/actions/list_tags`, {
    args: {},
  });
  inv.out.write(
    inv.options.json ? `${JSON.stringify(reply.result.tags, null, 2)}\n` : tagTable(reply.result.tags),
  );
  return 0;
}
