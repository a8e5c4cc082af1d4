import { startNotificationListener } from '../db/notification-listener.ts';
import { parseRevocation, REVOCATION_CHANNEL, type Revocation, type RevocationListener } from '../domains/auth/revocations.ts';

/** `application_name` of the listener's session, so operators (and tests) can find it. */
export const REVOCATION_LISTENER_APPLICATION_NAME = 'switchyard-revocation-listener';

/**
 * LISTENs for revocations on a session of its own: separate from the delivery listener, so a
 * backlog of delivery changes never delays a revocation.
 */
export async function startRevocationListener(databaseUrl: string, options: { log?: (line: string) => void } = {}): Promise<RevocationListener> {
  const handlers = new Set<(revocation: Revocation) => void>();
  const listener = await startNotificationListener(databaseUrl, {
    channels: [REVOCATION_CHANNEL],
    applicationName: REVOCATION_LISTENER_APPLICATION_NAME,
    name: 'Revocation listener',
    ...options,
    onNotification: (_channel, payload) => {
      const revocation = parseRevocation(payload);
      if (!revocation) return;
      for (const handler of handlers) {
        try {
          handler(revocation);
        } catch (error) {
          options.log?.(`A revocation handler failed: ${(error as Error).message}`);
        }
      }
    },
  });
  return {
    onRevoked(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    ready: () => listener.ready(),
    isListening: () => listener.isListening(),
    close: () => listener.close(),
  };
}
