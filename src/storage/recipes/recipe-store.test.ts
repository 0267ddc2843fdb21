import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBenchtopConfig } from '../../app/load-benchtop-config.ts';
import { isBenchtopError } from '../../core/errors.ts';
import { ProcessMap, validRecipe } from '../../engine/recipes/recipe-check.ts';
import { countCycles, countSteps, parseRecipeText } from '../../engine/recipes/recipe-model.ts';
import { RecipeStore } from './recipe-store.ts';

const { config } = loadBenchtopConfig({
  file: new URL('../../../config/ald.toml', import.meta.url).pathname,
  env: {},
});
const map = new ProcessMap(config.process);

describe('recipe model', () => {
  it('counts nested loops: steps multiplied out, cycles from top-level loops', () => {
    const recipe = validRecipe(
      parseRecipeText(
        JSON.stringify({
          name: 'nested',
          steps: [
            {
              type: 'loop',
              count: 3,
              steps: [
                { type: 'loop', count: 2, steps: [{ type: 'valve', valve: 'TMA', duration_ms: 50 }] },
                { type: 'purge', duration_ms: 100 },
              ],
            },
          ],
        }),
      ),
      map,
    );
    assert.equal(countSteps(recipe.steps), 3 * (2 + 1));
    assert.equal(countCycles(recipe.steps), 3);
  });

  it('lists every problem with its path', () => {
    try {
      validRecipe(
        parseRecipeText(
          'name = "bad"\n[[steps]]\ntype = "valve"\nvalve = "XX"\nduration_ms = 5\n[[steps]]\ntype = "set"\nsignal = "nope"\nvalue = 1\n[[preconditions]]\nsignal = "pump"\n',
        ),
        map,
      );
      assert.fail('accepted');
    } catch (error) {
      assert.ok(isBenchtopError(error, 'VALIDATION_FAILED'));
      const paths = (error.details.problems as { path: string }[]).map((p) => p.path);
      assert.deepEqual(paths.sort(), ['/preconditions/0', '/steps/0/valve', '/steps/1/signal']);
    }
  });

  it('stores every save as a new version; a deleted name keeps its versions for runs', () => {
    const store = new RecipeStore(':memory:');
    const recipe = validRecipe({ name: 'r', steps: [{ type: 'purge', duration_ms: 10 }] }, map);
    assert.equal(store.save(recipe, 'a').version, 1);
    assert.equal(store.save(recipe, 'a').version, 2);
    assert.equal(store.import(recipe, 'config', null).saved, false, 'an unchanged import adds nothing');
    assert.deepEqual(
      store.versions('r').map((v) => v.version),
      [2, 1],
    );
    store.delete('r');
    assert.deepEqual(store.list(), []);
    assert.equal(store.get('r', 1).version, 1);
    assert.throws(() => store.get('r'), /no recipe "r"/);
    store.close();
  });
});
