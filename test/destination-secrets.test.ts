import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestServer } from './helpers/server.ts';
import { spawnSwitchyard } from './helpers/child-process.ts';
import { dumpAllRows } from './helpers/database-dump.ts';
import { createRule, deliveryReaches, emit, eventually } from './helpers/fixtures.ts';
import { graphqlClient, type GraphqlClient } from './helpers/graphql.ts';
import { startHubSpotContract } from './helpers/hubspot-contract.ts';
import { startMailchimpContract } from './helpers/mailchimp-contract.ts';
import { startSlackContract } from './helpers/slack-contract.ts';

// The API in this process only makes the database and the workspace; a worker at debug level,
// in a process of its own, delivers, so every line it writes can be read.
const server = await startTestServer({ role: 'api' });
const slack = await startSlackContract();
const mailchimp = await startMailchimpContract();
const hubspot = await startHubSpotContract();
afterAll(async () => {
  await Promise.all([slack.close(), mailchimp.close(), hubspot.close()]);
});

const CREATE = `mutation ($input: CreateConnectionInput!) { createConnection(input: $input) { ... on CreateConnectionPayload { connection { id } } } }`;

async function connect(client: GraphqlClient, input: Record<string, unknown>): Promise<string> {
  const { createConnection } = await client.request(CREATE, { input: { retryScheduleSeconds: [0], ...input } });
  return createConnection.connection.id;
}

describe('vendor credentials', () => {
  it('are in no row of the database nor in any log line, while deliveries are made and refused with them', async () => {
    const child = await spawnSwitchyard({
      DATABASE_URL: server.databaseUrl,
      SWITCHYARD_ADMIN_KEY: ADMIN_KEY,
      SWITCHYARD_LOG_LEVEL: 'debug',
      SWITCHYARD_SLACK_API_URL: slack.apiUrl,
      SWITCHYARD_SLACK_WEBHOOK_BASE_URL: slack.webhookBaseUrl,
      SWITCHYARD_MAILCHIMP_API_URL: mailchimp.apiUrl,
      SWITCHYARD_HUBSPOT_API_URL: hubspot.apiUrl,
    });
    try {
      const ws = await server.seedWorkspace();
      const client = graphqlClient(`${child.url}/graphql`, ws.secretKey);
      const channel = slack.addChannel('alerts');
      const botToken = slack.addBotToken([channel]);
      const revokedToken = slack.addBotToken([channel]);
      const webhookUrl = slack.addWebhook('alerts');
      const apiKey = mailchimp.addAccount();
      const revokedKey = mailchimp.addAccount();
      const privateAppToken = hubspot.addPrivateAppToken();
      const ids = [
        await connect(client, { name: 'bot', kind: 'SLACK', slack: { botToken, channel } }),
        await connect(client, { name: 'revoked bot', kind: 'SLACK', slack: { botToken: revokedToken, channel } }),
        await connect(client, { name: 'hook', kind: 'SLACK', slack: { webhookUrl } }),
        await connect(client, { name: 'audience', kind: 'MAILCHIMP', mailchimp: { apiKey, listId: mailchimp.addList(apiKey) } }),
        await connect(client, { name: 'revoked audience', kind: 'MAILCHIMP', mailchimp: { apiKey: revokedKey, listId: mailchimp.addList(revokedKey) } }),
        await connect(client, { name: 'crm', kind: 'HUBSPOT', hubspot: { accessToken: privateAppToken } }),
      ];
      slack.revokeToken(revokedToken);
      mailchimp.revokeKey(revokedKey);
      for (const id of ids) await createRule(client, id, ['user.*']);
      const { event } = await emit(client, { type: 'user.created', payload: { email: 'ada@example.com' } });
      for (const index of [0, 2, 3, 5]) await deliveryReaches(client, event.deliveries.find((delivery) => delivery.connection.id === ids[index])!.id, 'SUCCEEDED', 20_000);
      await eventually(async () => {
        const { connections } = await client.request(`{ connections(first: 10) { edges { node { status } } } }`);
        const waiting = connections.edges.filter((edge: { node: { status: string } }) => edge.node.status === 'NEEDS_REAUTH');
        return waiting.length === 2 ? true : undefined;
      }, 20_000, 'both revoked connections to need new credentials');

      const secrets = [botToken, revokedToken, webhookUrl, webhookUrl.slice(webhookUrl.lastIndexOf('/') + 1), apiKey, revokedKey, apiKey.split('-')[0]!, privateAppToken];
      const { dump, tables } = await dumpAllRows(server.databaseUrl);
      expect(tables).toEqual(expect.arrayContaining(['connection_credentials', 'connections', 'attempts', '_private_jobs']));
      const output = child.output();
      expect(output.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(dump).not.toContain(secret);
        expect(output).not.toContain(secret);
      }
    } finally {
      await child.stop();
    }
  });
});
