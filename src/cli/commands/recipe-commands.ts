import { existsSync, readFileSync } from 'node:fs';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { ProcessMap, validRecipe } from '../../engine/recipes/recipe-check.ts';
import { countCycles, countSteps, parseRecipeText } from '../../engine/recipes/recipe-model.ts';
import { ApiClient, clientOptions } from '../client/api-client.ts';
import type { Invocation } from '../command-spec.ts';
import { resolveConfigFile } from '../config-source.ts';
import { runRemote } from './run.ts';

interface RecipeListing {
  name: string;
  version: number;
  author: string;
  created_at: number;
  description: string | null;
}

// `benchtop recipe validate FILE` (against the configuration's [process] map, no server),
// `recipe list` and `recipe run FILE|NAME` (a file is saved as a new version first, so the run
// records exactly what it ran; then it runs with the progress bar of `benchtop run`).

export function recipeValidate(inv: Invocation<{ config?: string }, { file: string }>): void {
  const { config } = loadBenchtopConfig({
    file: resolveConfigFile(inv.options.config, inv.env),
    env: inv.env,
  });
  const checked = validRecipe(
    parseRecipeText(readFileSync(inv.args.file, 'utf8')),
    new ProcessMap(config.process),
  );
  inv.out.write(
    `${checked.name}: valid (${countSteps(checked.steps)} steps, ${countCycles(checked.steps)} cycles)\n`,
  );
}

export async function recipeList(inv: Invocation<{ url?: string; json?: boolean }, unknown>): Promise<void> {
  const list = await new ApiClient(clientOptions(inv.options, inv.env)).request<RecipeListing[]>(
    'GET',
    '/api/v1/recipes',
  );
  if (inv.options.json) inv.out.write(`${JSON.stringify(list, null, 2)}\n`);
  else for (const r of list) inv.out.write(`${r.name}  v${r.version}  ${r.author}  ${r.description ?? ''}\n`);
}

export async function recipeRun(
  inv: Invocation<{ url?: string; version?: string; timeScale?: string; json?: boolean }, { recipe: string }>,
): Promise<number> {
  const { options } = inv;
  const target = inv.args.recipe;
  const client = new ApiClient(clientOptions(options, inv.env));
  let name = target;
  let version = options.version === undefined ? undefined : Number(options.version);
  if (existsSync(target)) {
    const saved = await client.request<{ name: string; version: number }>('POST', '/api/v1/recipes', {
      text: readFileSync(target, 'utf8'),
    });
    inv.err.write(`saved ${saved.name} v${saved.version}\n`);
    name = saved.name;
    version = saved.version;
  }
  const args: Record<string, unknown> = { recipe: name };
  if (version !== undefined) args.version = version;
  if (options.timeScale !== undefined) args.time_scale = Number(options.timeScale);
  return runRemote(
    client,
    { plan: 'recipe', args, metadata: {} },
    { out: inv.out, err: inv.err, json: options.json === true },
  );
}
