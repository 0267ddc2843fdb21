import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { ProcessMap, validRecipe } from '../../engine/recipes/recipe-check.ts';
import { countCycles, countSteps, parseRecipeText } from '../../engine/recipes/recipe-model.ts';
import { ApiClient, clientOptions } from '../client/api-client.ts';
import { resolveConfigFile } from '../config-source.ts';
import { runRemote } from './run.ts';

interface RecipeListing {
  name: string;
  version: number;
  author: string;
  created_at: number;
  description: string | null;
}

/**
 * `benchtop recipe validate FILE` (against the configuration's [process] map, no server),
 * `recipe list` and `recipe run FILE|NAME` (a file is saved as a new version first, so the run
 * records exactly what it ran; then it runs with the progress bar of `benchtop run`).
 */
export function recipeCommand(env: NodeJS.ProcessEnv): Command {
  const recipe = new Command('recipe').description('process recipes: validate, list and run');
  recipe
    .command('validate <file>')
    .description("check a recipe file (TOML or JSON) against the configuration's [process] map")
    .option('--config <file>', 'configuration (default: $BENCHTOP_CONFIG, else config/default.toml)')
    .action((file: string, options: { config?: string }) => {
      const { config } = loadConfig({ file: resolveConfigFile(options.config, env), env });
      const checked = validRecipe(
        parseRecipeText(readFileSync(file, 'utf8')),
        new ProcessMap(config.process),
      );
      process.stdout.write(
        `${checked.name}: valid (${countSteps(checked.steps)} steps, ${countCycles(checked.steps)} cycles)\n`,
      );
    });
  recipe
    .command('list')
    .description('stored recipes, each at its latest version')
    .option('--url <url>', 'Benchtop server (default: $BENCHTOP_URL, else http://127.0.0.1:8080)')
    .option('--json', 'print JSON')
    .action(async (options: { url?: string; json?: boolean }) => {
      const list = await new ApiClient(clientOptions(options, env)).request<RecipeListing[]>(
        'GET',
        '/api/v1/recipes',
      );
      if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else
        for (const r of list)
          process.stdout.write(`${r.name}  v${r.version}  ${r.author}  ${r.description ?? ''}\n`);
    });
  recipe
    .command('run <recipe>')
    .description('run a stored recipe by name, or a recipe file (saved as a new version first)')
    .option('--url <url>', 'Benchtop server (default: $BENCHTOP_URL, else http://127.0.0.1:8080)')
    .option('--version <n>', 'a stored version (default: the latest)')
    .option('--time-scale <x>', 'purges and holds take this fraction of their time (0 < x <= 1)')
    .option('--json', 'print the finished run as JSON')
    .action(
      async (
        target: string,
        options: { url?: string; version?: string; timeScale?: string; json?: boolean },
      ) => {
        const client = new ApiClient(clientOptions(options, env));
        let name = target;
        let version = options.version === undefined ? undefined : Number(options.version);
        if (existsSync(target)) {
          const saved = await client.request<{ name: string; version: number }>('POST', '/api/v1/recipes', {
            text: readFileSync(target, 'utf8'),
          });
          process.stderr.write(`saved ${saved.name} v${saved.version}\n`);
          name = saved.name;
          version = saved.version;
        }
        const args: Record<string, unknown> = { recipe: name };
        if (version !== undefined) args.version = version;
        if (options.timeScale !== undefined) args.time_scale = Number(options.timeScale);
        process.exitCode = await runRemote(
          client,
          { plan: 'recipe', args, metadata: {} },
          { out: process.stdout, err: process.stderr, json: options.json === true },
        );
      },
    );
  return recipe;
}
