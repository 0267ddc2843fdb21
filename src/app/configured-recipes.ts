import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ProcessConfig } from '../config/schema.ts';
import { toBenchtopError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { ProcessMap, validRecipe } from '../engine/recipes/recipe-check.ts';
import { parseRecipeText } from '../engine/recipes/recipe-model.ts';
import type { RecipeStore } from '../storage/recipes/recipe-store.ts';

/**
 * The recipe files `[process] recipes` lists (relative to the configuration file), stored as
 * a new version when they differ from the latest: an edited file is picked up at the next
 * start, an unchanged one adds nothing. A file with problems is logged and skipped.
 */
export function importConfiguredRecipes(
  store: RecipeStore,
  process: ProcessConfig,
  configFile: string | undefined,
  logger: Logger,
): void {
  const base = configFile ? dirname(configFile) : globalThis.process.cwd();
  const map = new ProcessMap(process);
  for (const file of process.recipes) {
    const path = resolve(base, file);
    try {
      const text = readFileSync(path, 'utf8');
      const { record, saved } = store.import(validRecipe(parseRecipeText(text), map), 'config', text);
      if (saved)
        logger.info(
          { recipe: record.name, version: record.version, file: path },
          'recipe stored from config',
        );
    } catch (error) {
      logger.error(
        { file: path, err: toBenchtopError(error) },
        `recipe ${file} not loaded: ${toBenchtopError(error).message}`,
      );
    }
  }
}
