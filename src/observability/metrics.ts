import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metrics. Names follow Prometheus's conventions (`switchyard_` prefix,
 * `_total` counters, `_seconds` histograms) and every label has a bounded set of values: kinds,
 * statuses, outcomes, error classes, and workspaces only where `SWITCHYARD_METRICS_WORKSPACES`
 * names them. The README lists them all.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** Workspaces (storage ids) that get a label value of their own; the others count as `other`. */
let labelledWorkspaces = new Map<string, string>();

/** Names the workspaces whose series are kept apart: storage id -> label value (its public id). */
export function labelWorkspaces(workspaces: Map<string, string>): void {
  labelledWorkspaces = workspaces;
}

/** The `workspace` label of a workspace's series: its public id if configured, else `other`. */
export function workspaceLabel(workspaceId: string): string {
  return labelledWorkspaces.get(workspaceId) ?? 'other';
}

export const eventsAccepted = new Counter({
  name: 'switchyard_events_accepted_total',
  help: 'Events accepted by emitEvent and emitEvents (Switchyard\'s own operational events not included).',
  labelNames: ['workspace'] as const,
  registers: [registry],
});

/** Why an emit was refused: the bounded set of `reason` values. */
export type RefusalReason = 'invalid_input' | 'payload_too_large' | 'unknown_type' | 'schema_mismatch' | 'unauthenticated' | 'forbidden';

export const eventsRefused = new Counter({
  name: 'switchyard_events_refused_total',
  help: 'Events refused by emitEvent and emitEvents, by reason; a refused batch counts each of its events.',
  labelNames: ['reason', 'workspace'] as const,
  registers: [registry],
});

export const deliveryAttempts = new Counter({
  name: 'switchyard_delivery_attempts_total',
  help: 'Attempts made, by destination kind, outcome (succeeded or failed) and error class (none on success).',
  labelNames: ['destination_kind', 'outcome', 'error_class'] as const,
  registers: [registry],
});

export const deliveries = new Counter({
  name: 'switchyard_deliveries_total',
  help: 'What each attempt left its delivery: succeeded, retrying (a retry is scheduled), dead, parked (the connection stopped), or late (its claim had been taken over).',
  labelNames: ['destination_kind', 'outcome', 'workspace'] as const,
  registers: [registry],
});

export const attemptDuration = new Histogram({
  name: 'switchyard_delivery_attempt_duration_seconds',
  help: 'How long one attempt took, from the request\'s start to its recorded answer.',
  labelNames: ['destination_kind', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const deliveryLatency = new Histogram({
  name: 'switchyard_delivery_latency_seconds',
  help: 'From the emit to the successful attempt, retries included.',
  labelNames: ['destination_kind'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21_600, 86_400],
  registers: [registry],
});

export const tokenRefreshes = new Counter({
  name: 'switchyard_token_refreshes_total',
  help: 'OAuth token refreshes of connections, by destination kind and outcome (succeeded, failed, refused).',
  labelNames: ['destination_kind', 'outcome'] as const,
  registers: [registry],
});

/** A gauge whose value is read when Prometheus scrapes, from `read`. */
export function scrapedGauge<L extends string>(options: {
  name: string;
  help: string;
  labelNames?: readonly L[];
  read: (gauge: Gauge<L>) => Promise<void> | void;
}): Gauge<L> {
  return new Gauge<L>({
    name: options.name,
    help: options.help,
    labelNames: options.labelNames ?? [],
    registers: [registry],
    async collect() {
      await options.read(this);
    },
  });
}

/** The metrics in Prometheus's text format, and its content type. */
export async function scrape(): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: registry.contentType };
}
