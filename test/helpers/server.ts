import { afterAll } from 'vitest';
import { defaultConfig, type Config } from '../../src/config.ts';
import { startSwitchyard, type Switchyard } from '../../src/switchyard.ts';
import { createTestDatabase } from './database.ts';
import { graphqlClient, type GraphqlClient } from './graphql.ts';

export const ADMIN_KEY = 'sy_admin_test_key_for_the_suite_only';

/** The keyring of every test process on a test database: processes on one database share keys. */
export const TEST_ENCRYPTION_KEYS = 'test:c3dpdGNoeWFyZC10ZXN0LWtleS0zMi1ieXRlcy0hISE=';

export interface TestServer {
  switchyard: Switchyard;
  url: string;
  databaseUrl: string;
  /** A client with the admin key. */
  admin: GraphqlClient;
  /** A client with `key`, or none. */
  as(key?: string): GraphqlClient;
  /** Creates a workspace of its own for one test, with clients for both of its keys. */
  seedWorkspace(name?: string): Promise<SeededWorkspace>;
}

export interface SeededWorkspace {
  id: string;
  secretKey: string;
  publishableKey: string;
  secret: GraphqlClient;
  publishable: GraphqlClient;
}

/**
 * Starts Switchyard in this process on a fresh database and stops it after the file's tests.
 * Tests then seed a workspace each rather than sharing state.
 */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const databaseUrl = await createTestDatabase();
  const switchyard = await startSwitchyard(
    defaultConfig({ databaseUrl, port: 0, adminKey: ADMIN_KEY, encryptionKeys: TEST_ENCRYPTION_KEYS, logLevel: 'silent', ...overrides }),
  );
  afterAll(() => switchyard.stop());
  const url = `${switchyard.url}/graphql`;
  const as = (key?: string) => graphqlClient(url, key);
  const admin = as(ADMIN_KEY);
  let seeded = 0;
  return {
    switchyard,
    url,
    databaseUrl,
    admin,
    as,
    async seedWorkspace(name = `workspace-${process.pid}-${++seeded}-${Date.now()}`) {
      const result = await admin.request<{
        createWorkspace: { workspace: { id: string }; secretKey: string; publishableKey: string };
      }>(
        `mutation ($input: CreateWorkspaceInput!) { createWorkspace(input: $input) {
          ... on CreateWorkspacePayload { workspace { id } secretKey publishableKey }
          ... on Error { message } } }`,
        { input: { name, environment: 'test' } },
      );
      const { workspace, secretKey, publishableKey } = result.createWorkspace;
      if (!workspace) throw new Error(`seedWorkspace failed: ${JSON.stringify(result)}`);
      return { id: workspace.id, secretKey, publishableKey, secret: as(secretKey), publishable: as(publishableKey) };
    },
  };
}
