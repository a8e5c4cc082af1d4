import type { WebSocket } from 'ws';

/**
 * Closes a portal session's socket when the session expires, as graphql-ws closes one whose key
 * is refused (4403): a stream must not outlive the session that opened it.
 */
export function closeAtExpiry(socket: WebSocket, expiresAt: Date): void {
  const timer = setTimeout(() => socket.close(4403, 'Forbidden: the portal session expired'), Math.max(0, expiresAt.getTime() - Date.now()));
  socket.once('close', () => clearTimeout(timer));
}
