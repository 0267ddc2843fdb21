import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { BenchtopError } from '../../core/errors.ts';
import type { RecipeSource, StoredRecipe } from '../../engine/plans/recipe.ts';
import type { Recipe } from '../../engine/recipes/recipe-model.ts';
import { type Migration, openSqliteDatabase } from '../sqlite-database.ts';

export const RECIPES_FILE = 'recipes.sqlite';

const migrations: Migration[] = [
  {
    version: 1,
    description: 'recipe versions',
    sql: `CREATE TABLE recipe_versions (
      name TEXT NOT NULL,
      version INTEGER NOT NULL,
      hash TEXT NOT NULL,
      body TEXT NOT NULL,
      source TEXT,
      author TEXT NOT NULL,
      created_at REAL NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (name, version)
    )`,
  },
];

/** A version as listed: everything but the body. */
export interface RecipeVersionInfo {
  name: string;
  version: number;
  hash: string;
  author: string;
  /** Seconds since the epoch. */
  created_at: number;
  description: string | null;
}

export interface RecipeRecord extends StoredRecipe {
  author: string;
  created_at: number;
  /** The file as it was given (TOML or JSON), when it came from one. */
  source: string | null;
}

interface Row {
  name: string;
  version: number;
  hash: string;
  body: string;
  source: string | null;
  author: string;
  created_at: number;
}

/**
 * Recipes at `<output_dir>/recipes.sqlite`, beside the run catalog. Every save is a new
 * version (1, 2, …) and versions are never changed or removed, so a run's recorded
 * `recipe_version` always names what it ran; deleting a recipe hides its name from the list
 * and from new runs, and saving the name again continues its numbering.
 */
export class RecipeStore implements RecipeSource {
  readonly path: string;
  private readonly db: DatabaseSync;

  static inOutputDir(outputDir: string): RecipeStore {
    return new RecipeStore(join(outputDir, RECIPES_FILE));
  }

  constructor(path: string) {
    this.path = path;
    this.db = openSqliteDatabase(path, migrations);
  }

  /** Saves a new version; returns it. */
  save(recipe: Recipe, author: string, source: string | null = null, now = Date.now() / 1000): RecipeRecord {
    const body = JSON.stringify(recipe);
    const hash = hashOf(body);
    const row = this.db
      .prepare('SELECT COALESCE(MAX(version), 0) AS v FROM recipe_versions WHERE name = ?')
      .get(recipe.name) as { v: number };
    const version = row.v + 1;
    this.db
      .prepare(
        `INSERT INTO recipe_versions (name, version, hash, body, source, author, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(recipe.name, version, hash, body, source, author, now);
    // Earlier versions of a deleted name stay hidden; the new one is visible.
    return { name: recipe.name, version, hash, recipe, author, created_at: now, source };
  }

  /** Saves only when the recipe differs from its latest version (configured files at start). */
  import(recipe: Recipe, author: string, source: string | null): { record: RecipeRecord; saved: boolean } {
    const latest = this.latestRow(recipe.name);
    if (latest && latest.hash === hashOf(JSON.stringify(recipe)))
      return { record: recordOf(latest), saved: false };
    return { record: this.save(recipe, author, source), saved: true };
  }

  get(name: string, version?: number): RecipeRecord {
    const row =
      version === undefined
        ? this.latestRow(name)
        : (this.db
            .prepare('SELECT * FROM recipe_versions WHERE name = ? AND version = ?')
            .get(name, version) as Row | undefined);
    if (!row) {
      throw new BenchtopError(
        'RECIPE_NOT_FOUND',
        version === undefined ? `no recipe "${name}"` : `recipe "${name}" has no version ${version}`,
        { name, ...(version !== undefined ? { version } : {}) },
      );
    }
    return recordOf(row);
  }

  /** The latest version of every recipe not deleted, by name. */
  list(): RecipeVersionInfo[] {
    const rows = this.db
      .prepare(
        `SELECT r.* FROM recipe_versions r
         JOIN (SELECT name, MAX(version) AS v FROM recipe_versions GROUP BY name) m
           ON r.name = m.name AND r.version = m.v
         WHERE r.deleted = 0 ORDER BY r.name`,
      )
      .all() as unknown as Row[];
    return rows.map(infoOf);
  }

  versions(name: string): RecipeVersionInfo[] {
    this.get(name);
    const rows = this.db
      .prepare('SELECT * FROM recipe_versions WHERE name = ? ORDER BY version DESC')
      .all(name) as unknown as Row[];
    return rows.map(infoOf);
  }

  /** Hides the recipe (its versions stay, for the runs that used them). */
  delete(name: string): void {
    this.get(name);
    this.db.prepare('UPDATE recipe_versions SET deleted = 1 WHERE name = ?').run(name);
  }

  close(): void {
    this.db.close();
  }

  private latestRow(name: string): Row | undefined {
    return this.db
      .prepare('SELECT * FROM recipe_versions WHERE name = ? AND deleted = 0 ORDER BY version DESC LIMIT 1')
      .get(name) as Row | undefined;
  }
}

function hashOf(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

function recordOf(row: Row): RecipeRecord {
  return {
    name: row.name,
    version: row.version,
    hash: row.hash,
    recipe: JSON.parse(row.body) as Recipe,
    author: row.author,
    created_at: row.created_at,
    source: row.source,
  };
}

function infoOf(row: Row): RecipeVersionInfo {
  const recipe = JSON.parse(row.body) as Recipe;
  return {
    name: row.name,
    version: row.version,
    hash: row.hash,
    author: row.author,
    created_at: row.created_at,
    description: recipe.description ?? null,
  };
}
