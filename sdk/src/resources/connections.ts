import * as ops from '../generated/graphql.ts';
import { unwrap } from '../errors.ts';
import { pageArgs, toPage } from '../pages.ts';
import type { Request } from '../transport.ts';
import type { Connection, ConnectionChanges, CreateConnectionInput, CreatedConnection, ListOptions, Page, TestSend } from '../types.ts';

/** `client.connections`: destinations, their secrets, pausing, and test sends. */
export function connectionsApi(request: Request) {
  return {
    async list(options: ListOptions & { status?: Connection['status'] } = {}): Promise<Page<Connection>> {
      const { status, ...page } = options;
      return toPage((await request(ops.ListConnectionsDocument, { status, ...pageArgs(page) }, 'always')).connections);
    },
    /** Throws `SwitchyardNotFoundError`. */
    async get(id: string): Promise<Connection> {
      const { __typename, ...connection } = unwrap((await request(ops.GetConnectionDocument, { id }, 'always')).connection);
      return connection;
    },
    /** Creates a connection; its signing secret is returned this once. */
    async create(input: CreateConnectionInput): Promise<CreatedConnection> {
      const { __typename, ...created } = unwrap((await request(ops.CreateConnectionDocument, { input }, 'unsent')).createConnection);
      return created;
    },
    /** Changes the given fields; fields left out stay as they are. */
    async update(id: string, changes: ConnectionChanges): Promise<Connection> {
      return unwrap((await request(ops.UpdateConnectionDocument, { input: { ...changes, id } }, 'always')).updateConnection).connection;
    },
    async delete(id: string): Promise<void> {
      unwrap((await request(ops.DeleteConnectionDocument, { input: { id } }, 'unsent')).deleteConnection);
    },
    /** Stops deliveries to the connection; they wait until `resume`. */
    async pause(id: string): Promise<Connection> {
      return unwrap((await request(ops.PauseConnectionDocument, { input: { id } }, 'always')).pauseConnection).connection;
    },
    async resume(id: string): Promise<Connection> {
      return unwrap((await request(ops.ResumeConnectionDocument, { input: { id } }, 'always')).resumeConnection).connection;
    },
    /**
     * Sends a test event to this connection only: a real, signed delivery marked `test` (the body
     * has `"test": true`), logged and retried like any other. Without `payload`, the event type's
     * first JSON Schema example (or `{}`) is sent.
     */
    async sendTestEvent(id: string, event: { type: string; payload?: unknown }): Promise<TestSend> {
      const input = { connectionId: id, ...event };
      const { __typename, ...sent } = unwrap((await request(ops.SendTestEventDocument, { input }, 'unsent')).sendTestEvent);
      return sent;
    },
    /** Issues a new signing secret; the current one keeps signing until it expires (default 24 h). */
    async rotateSecret(id: string, options: { expireCurrentInSeconds?: number } = {}): Promise<CreatedConnection> {
      const input = { connectionId: id, ...options };
      const { __typename, ...rotated } = unwrap((await request(ops.RotateConnectionSecretDocument, { input }, 'unsent')).rotateConnectionSecret);
      return rotated;
    },
  };
}
