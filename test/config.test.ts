import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, variables } from '../src/config.ts';

describe('configuration', () => {
  it('has a default for everything but the database and the admin key', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.adminKey).toBeUndefined();
    expect(config).toMatchObject({ port: 4000, role: 'all', allowPrivateTargets: false, workerConcurrency: 50 });
  });

  it('lists every invalid variable at once, by name', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', SWITCHYARD_ROLE: 'both', SWITCHYARD_EXPRESSION_TIMEOUT_MS: '-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((problem) => problem.split(':')[0]);
    expect(names.sort()).toEqual(['PORT', 'SWITCHYARD_EXPRESSION_TIMEOUT_MS', 'SWITCHYARD_ROLE']);
  });

  it('documents every variable in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const undocumented = Object.values(variables).filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(undocumented).toEqual([]);
  });
});
