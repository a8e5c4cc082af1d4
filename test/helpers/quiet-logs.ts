import { configureLogging } from '../../src/observability/logger.ts';

// Every test file starts silent: the suite's output is vitest's alone. A server a test starts
// sets its own level (silent too, unless the test reads its logs), and processes a test spawns
// log as configured into the output the test captures.
configureLogging({ logLevel: 'silent', logFormat: 'json' });
