import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ProcessConfig } from '../../config/schema.ts';
import { BenchtopError } from '../../core/errors.ts';
import type { DeviceCatalog } from '../../engine/device-catalog.ts';
import { ProcessMap, validRecipe } from '../../engine/recipes/recipe-check.ts';
import { parseRecipeText } from '../../engine/recipes/recipe-model.ts';
import type { RecipeStore } from '../../storage/recipes/recipe-store.ts';
import {
  ErrorResponses,
  ProcessMap as ProcessMapReply,
  RecipeRecord,
  RecipeValidation,
  RecipeVersionInfo,
} from '../api-types.ts';

const NameParams = Type.Object({ name: Type.String() });
/** A recipe as JSON (`recipe`), or a file's text (`text`, TOML or JSON). */
const RecipeBody = Type.Object(
  {
    recipe: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    text: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

/**
 * /api/v1/recipes: list, read (any version), save (a new version every time), validate and
 * delete (hidden; its versions stay for the runs that used them). Viewers read; operators write.
 */
export function recipeRoutes(store: RecipeStore, process: ProcessConfig, devices?: () => DeviceCatalog) {
  const map = new ProcessMap(process);
  const recipeOf = (body: { recipe?: Record<string, unknown>; text?: string }, name?: string) => {
    if ((body.recipe === undefined) === (body.text === undefined)) {
      throw new BenchtopError(
        'VALIDATION_FAILED',
        'give the recipe as "recipe" (JSON) or "text" (a file), not both',
        {
          problems: [{ path: '', message: 'recipe or text' }],
        },
      );
    }
    const value = body.text !== undefined ? parseRecipeText(body.text) : structuredClone(body.recipe);
    if (name !== undefined && typeof value === 'object' && value !== null) {
      const given = (value as { name?: unknown }).name;
      if (given !== undefined && given !== name) {
        throw new BenchtopError(
          'VALIDATION_FAILED',
          `the recipe is named "${String(given)}", not "${name}"`,
          {
            problems: [{ path: '/name', message: `must be ${name}` }],
          },
        );
      }
      (value as { name?: unknown }).name = name;
    }
    return validRecipe(value, map, devices?.());
  };

  return async (app: FastifyInstance) => {
    app.get(
      '/process',
      {
        schema: {
          tags: ['recipes'],
          summary: 'The [process] map: recipe valve, gas and parameter names to signals',
          response: { 200: ProcessMapReply, ...ErrorResponses },
        },
      },
      async (): Promise<ProcessMapReply> => ({
        valves: process.valves,
        gases: process.gases,
        default_purge_gas: process.default_purge_gas ?? null,
        parameters: process.parameters,
        sample_signals: process.sample_signals,
        sample_interval_ms: process.sample_interval_ms,
        time_scale: process.time_scale,
      }),
    );
    app.get(
      '/recipes',
      {
        schema: {
          tags: ['recipes'],
          summary: 'Recipes, each at its latest version',
          response: { 200: Type.Array(RecipeVersionInfo), ...ErrorResponses },
        },
      },
      async (): Promise<RecipeVersionInfo[]> => store.list(),
    );
    app.post(
      '/recipes',
      {
        config: { role: 'operator', audit: 'recipe.save' },
        schema: {
          tags: ['recipes'],
          summary: 'Save a recipe: a new version of its name',
          body: RecipeBody,
          response: { 201: RecipeRecord, ...ErrorResponses },
        },
      },
      async (request, reply) => {
        const recipe = recipeOf(request.body as never);
        const record: RecipeRecord = store.save(
          recipe,
          request.principal.name,
          (request.body as { text?: string }).text ?? null,
        );
        return reply.code(201).send(record);
      },
    );
    app.post(
      '/recipes/validate',
      {
        schema: {
          tags: ['recipes'],
          summary: 'Check a recipe against [process] and the instruments without saving it',
          body: RecipeBody,
          response: { 200: RecipeValidation, ...ErrorResponses },
        },
      },
      async (request): Promise<RecipeValidation> => ({
        valid: true,
        recipe: recipeOf(request.body as never),
      }),
    );
    app.get(
      '/recipes/:name',
      {
        schema: {
          tags: ['recipes'],
          summary: 'One recipe: its latest version, or the version asked for',
          params: NameParams,
          querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
          response: { 200: RecipeRecord, ...ErrorResponses },
        },
      },
      async (request): Promise<RecipeRecord> =>
        store.get((request.params as { name: string }).name, (request.query as { version?: number }).version),
    );
    app.get(
      '/recipes/:name/versions',
      {
        schema: {
          tags: ['recipes'],
          summary: 'Every version of a recipe, oldest first',
          params: NameParams,
          response: { 200: Type.Array(RecipeVersionInfo), ...ErrorResponses },
        },
      },
      async (request): Promise<RecipeVersionInfo[]> =>
        store.versions((request.params as { name: string }).name),
    );
    app.put(
      '/recipes/:name',
      {
        config: { role: 'operator', audit: 'recipe.save' },
        schema: {
          tags: ['recipes'],
          summary: 'Save a new version',
          params: NameParams,
          body: RecipeBody,
          response: { 200: RecipeRecord, ...ErrorResponses },
        },
      },
      async (request): Promise<RecipeRecord> => {
        const { name } = request.params as { name: string };
        const recipe = recipeOf(request.body as never, name);
        return store.save(recipe, request.principal.name, (request.body as { text?: string }).text ?? null);
      },
    );
    app.delete(
      '/recipes/:name',
      {
        config: { role: 'operator', audit: 'recipe.delete' },
        schema: {
          tags: ['recipes'],
          summary: 'Hide a recipe; its versions stay readable for the runs that used them',
          params: NameParams,
          response: { 204: Type.Null({ description: 'deleted: no body' }), ...ErrorResponses },
        },
      },
      async (request, reply) => {
        store.delete((request.params as { name: string }).name);
        return reply.code(204).send();
      },
    );
  };
}
