import type { Command } from 'commander';
import { call, ERRORS } from '../api.ts';
import { print } from '../output.ts';
import type { ClientOptions } from '../client-options.ts';

/** `workspace create`, `key create`, `key revoke`. */
export function workspaceCommands(program: Command, options: () => ClientOptions): void {
  const workspace = program.command('workspace').description('Manage workspaces (admin key)');
  workspace
    .command('create')
    .description('Create a workspace; prints its secret and publishable keys, shown this once')
    .requiredOption('--name <name>', 'display name, e.g. the customer "acme"')
    .option('--environment <environment>', 'e.g. production or staging', 'production')
    .action(async (flags: { name: string; environment: string }) => {
      const { url, adminKey, json } = options();
      const created = await call<{ workspace: { id: string; name: string; environment: string }; secretKey: string; publishableKey: string }>(
        url, adminKey,
        `mutation ($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { ${ERRORS}
           ... on CreateWorkspacePayload { workspace { id name environment } secretKey publishableKey } } }`,
        { input: { name: flags.name, environment: flags.environment } }, 'createWorkspace',
      );
      const { __typename: _type, ...result } = created as typeof created & { __typename?: string };
      print(json, result, () => [
        `Created workspace ${result.workspace.id} (${result.workspace.name} / ${result.workspace.environment})`,
        `Secret key (shown once):      ${result.secretKey}`,
        `Publishable key (shown once): ${result.publishableKey}`,
      ].join('\n'));
    });

  const key = program.command('key').description("Manage the workspace's API keys (secret key)");
  key
    .command('create')
    .description('Create a key; prints it, shown this once')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--kind <kind>', 'secret or publishable', 'secret')
    .action(async (flags: { name: string; kind: string }) => {
      const { url, apiKey, json } = options();
      const created = await call<{ apiKey: { id: string; name: string }; key: string }>(
        url, apiKey,
        `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { ${ERRORS}
           ... on CreateApiKeyPayload { apiKey { id name } key } } }`,
        { input: { name: flags.name, kind: flags.kind.toUpperCase() } }, 'createApiKey',
      );
      print(json, { id: created.apiKey.id, name: created.apiKey.name, key: created.key }, () => `Created key ${created.apiKey.id} (${created.apiKey.name}); shown once: ${created.key}`);
    });
  key
    .command('revoke')
    .description('Revoke a key; requests with it are refused from then on')
    .argument('<id>', 'the key id (key_...)')
    .action(async (id: string) => {
      const { url, apiKey, json } = options();
      const revoked = await call<{ apiKey: { id: string; revokedAt: string } }>(
        url, apiKey,
        `mutation ($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { ${ERRORS}
           ... on RevokeApiKeyPayload { apiKey { id revokedAt } } } }`,
        { input: { id } }, 'revokeApiKey',
      );
      print(json, revoked.apiKey, () => `Revoked key ${revoked.apiKey.id}`);
    });
}
