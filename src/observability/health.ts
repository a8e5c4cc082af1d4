import type { IncomingMessage, ServerResponse } from 'node:http';

/** A readiness check: null when all is well, otherwise why not, in a few words. */
export type Check = () => Promise<string | null> | string | null;

export type Phase = 'starting' | 'ready' | 'stopping';

/** How long one check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2000;

export interface CheckReport {
  status: 'ok' | 'failing';
  reason?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  phase: Phase;
  checks: Record<string, CheckReport>;
}

/**
 * Whether this process should receive traffic: every part it runs is up (Postgres answers,
 * migrations are current, the worker runs where it should) and it is neither starting nor
 * stopping. Parts register their checks as they start.
 */
export class Readiness {
  phase: Phase = 'starting';
  private readonly checks = new Map<string, Check>();

  add(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await run(check)] as const),
    );
    const checks = Object.fromEntries(entries);
    const ok = this.phase === 'ready' && entries.every(([, result]) => result.status === 'ok');
    return { status: ok ? 'ready' : 'unavailable', phase: this.phase, checks };
  }
}

async function run(check: Check): Promise<CheckReport> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
    });
    const reason = await Promise.race([Promise.resolve().then(check), timeout]);
    return reason === null ? { status: 'ok' } : { status: 'failing', reason };
  } catch (error) {
    return { status: 'failing', reason: (error as Error).message || String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

/** `/healthz`: the process lives and its event loop answers; nothing else is checked. */
export function livenessHandler(startedAt = Date.now()) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, JSON_HEADERS).end(JSON.stringify({ status: 'ok', uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }));
  };
}

/** `/readyz`: 200 with every check when ready, 503 with the failing ones' reasons otherwise. */
export function readinessHandler(readiness: Readiness) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    void readiness.report().then((report) => {
      res.writeHead(report.status === 'ready' ? 200 : 503, JSON_HEADERS).end(JSON.stringify(report));
    });
  };
}
