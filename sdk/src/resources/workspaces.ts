import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { CreatedWorkspace, CreateWorkspaceInput, ListOptions, Page, Workspace, WorkspaceSettingsChanges, WorkspaceWithSettings } from '../types.ts';

/** `client.workspace`: the key's own workspace (secret key). */
export function workspaceApi(request: Request) {
  return {
    /** The workspace with its settings. */
    async get(): Promise<WorkspaceWithSettings> {
      return (await request(ops.GetWorkspaceDocument, {}, 'always')).workspace;
    },
    /** Changes the settings given, e.g. `{ strictEventTypes: true }`; the others stay. */
    async updateSettings(settings: WorkspaceSettingsChanges): Promise<WorkspaceWithSettings> {
      return unwrap((await request(ops.UpdateWorkspaceSettingsDocument, { input: settings }, 'always')).updateWorkspaceSettings).workspace;
    },
  };
}

/** `client.workspaces`: every workspace (admin key). */
export function workspacesApi(request: Request) {
  return {
    /** Creates a workspace and its first keys. The keys are returned this once. */
    async create(input: CreateWorkspaceInput): Promise<CreatedWorkspace> {
      const { __typename, ...created } = unwrap((await request(ops.CreateWorkspaceDocument, { input }, 'unsent')).createWorkspace);
      return created;
    },
    /** Workspaces, newest first. */
    async list(options: ListOptions = {}): Promise<Page<Workspace>> {
      return toPage((await request(ops.ListWorkspacesDocument, pageArgs(options), 'always')).workspaces);
    },
  };
}
