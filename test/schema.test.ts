import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedSchema } from '../src/resolvers/print.ts';

describe('schema/schema.graphql', () => {
  it('matches the schema printed from the Pothos builder (run `npm run schema:print`)', () => {
    const checkedIn = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(checkedIn).toBe(printedSchema());
  });

  it('describes every type and every field a client sees', async () => {
    const { schema } = await import('../src/resolvers/index.ts');
    const undescribed: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Boolean', 'Int', 'Float', 'ID'].includes(type.name)) continue;
      if (!type.description && !/(Payload|Result|Input|Connection|Edge)$/.test(type.name) && type.name !== 'PageInfo') {
        undescribed.push(type.name);
      }
    }
    expect(undescribed).toEqual([]);
  });
});
