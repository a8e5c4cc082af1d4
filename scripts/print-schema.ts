// Prints the Pothos schema to schema/schema.graphql; a test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { printedSchema } from '../src/resolvers/print.ts';

writeFileSync(new URL('../schema/schema.graphql', import.meta.url), printedSchema());
console.log('wrote schema/schema.graphql');
