import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('generated SDK documents', () => {
  it('match schema/schema.graphql, sdk/operations and the portal\'s operations (run `npm run codegen` when this fails)', async () => {
    const { config } = await loadCodegenConfig({ configFilePath: `${root}codegen.yml` });
    const outputs = await generate({ ...config, cwd: root, silent: true }, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const committed = readFileSync(`${root}${output.filename}`, 'utf8');
      expect(committed, `${output.filename} is stale: run \`npm run codegen\``).toBe(output.content);
    }
  }, 60_000);
});
