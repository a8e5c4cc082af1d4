import { Agent } from 'undici';
import { guardedLookup } from './ssrf-guard.ts';

/**
 * Sockets open at most to one origin. Above any worker's concurrency, so a request never waits in
 * undici's queue: that wait would count against the attempt's deadline.
 */
const CONNECTIONS_PER_ORIGIN = 128;

/**
 * How long an idle socket is kept when the receiver does not say (`Keep-Alive: timeout=`).
 * Short, so we close first: reusing a socket the receiver has just closed fails the attempt.
 */
const KEEP_ALIVE_MS = 4_000;

/** Time to open a TCP (and TLS) connection before the attempt fails as CONNECT. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One keep-alive pool set per SSRF policy, shared by every attempt of the process: connections to
 * a receiver are reused, which is what makes high delivery rates cheap.
 */
const agents = new Map<boolean, Agent>();

/** The shared dispatcher for a policy; its sockets connect only to addresses the guard checked. */
export function dispatcherFor(allowPrivateTargets: boolean): Agent {
  let agent = agents.get(allowPrivateTargets);
  if (!agent) {
    agent = new Agent({
      connections: CONNECTIONS_PER_ORIGIN,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connect: { timeout: CONNECT_TIMEOUT_MS, lookup: guardedLookup(allowPrivateTargets) },
    });
    agents.set(allowPrivateTargets, agent);
  }
  return agent;
}

/**
 * Closes the keep-alive pools once their requests finish (each has a deadline, so this ends).
 * Call it on shutdown after the worker has stopped; a later send opens fresh pools.
 */
export async function closeHttp(): Promise<void> {
  const closing = [...agents.values()].map((agent) => agent.close());
  agents.clear();
  await Promise.all(closing);
}
