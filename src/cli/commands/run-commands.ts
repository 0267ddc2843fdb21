import { BenchtopError, isBenchtopError } from '../../core/errors.ts';
import { builtinPlans } from '../../engine/plan-registry.ts';
import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';
import type { ConfigFlags } from '../config-source.ts';
import { runLocal, runRemote } from './run.ts';
import { parseMetadata, parsePlanArgs } from './run-args.ts';

type RunFlags = ConfigFlags & { local?: boolean; metadata?: string[]; json?: boolean; url?: string };

/**
 * `benchtop run <plan> [--arg value …]`: on the server, or in this process with --local. A run
 * drives instruments, so it never moves to this process by itself when no server answers.
 */
export async function runAction(
  inv: Invocation<RunFlags, { plan: string; args: string[] }>,
): Promise<number> {
  const { plan, args: tokens } = inv.args;
  const options = inv.options;
  const known = builtinPlans.find((p) => p.name === plan);
  const request = {
    plan,
    args: parsePlanArgs(plan, tokens, known?.args),
    metadata: parseMetadata(options.metadata ?? []),
  };
  const io = { out: inv.out, err: inv.err, json: options.json === true };
  if (options.local) return runLocal(request, options, inv.env, io);
  const client = new ApiClient(clientOptions(options, inv.env));
  try {
    return await runRemote(client, request, io);
  } catch (error) {
    if (!isBenchtopError(error, 'SERVER_UNREACHABLE') || client.answered) throw error;
    throw new BenchtopError(
      'SERVER_UNREACHABLE',
      `${error.message}; --local runs the plan in this process instead`,
      error.details,
      { cause: error },
    );
  }
}

/** The plans and examples under `benchtop run --help`. */
export function runHelp(): string {
  const plans = builtinPlans.map((p) => `  ${p.name.padEnd(15)} ${p.description}`).join('\n');
  return `\nPlans:\n${plans}\n\nExamples:\n  benchtop run scan --detectors meter.power --motor stage.axis1.position --start -1 --stop 1 --num 41\n  benchtop run grid_scan --detectors meter.power --axes stage.axis2.position:0:2:5,stage.axis1.position:-1:1:21 --snake\n  benchtop run count --detectors dmm.voltage,meter.power --num 10 --delay 0.5 --metadata sample=Si-42 --local`;
}
