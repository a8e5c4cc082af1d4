import { logger } from './logger.ts';
import { scrapedGauge } from './metrics.ts';

/** Scrapes within this long share one read of Postgres: several scrapers cost one query. */
const CACHE_MS = 5000;

/** What the backlog gauges show, as the delivery domain reads it from Postgres. */
export interface BacklogStats {
  /** Deliveries not finished, by destination kind and status; `parked` ones wait for their connection. */
  backlog: { kind: string; status: string; parked: boolean; count: number }[];
  /** Seconds since the oldest delivery that is due (first attempt or retry) fell due; 0 when none is. */
  oldestDueSeconds: number;
  connections: { kind: string; status: string; count: number }[];
}

let reader: (() => Promise<BacklogStats>) | null = null;
let cached: { at: number; stats: Promise<BacklogStats | null> } | null = null;

/**
 * Reads the backlog gauges from Postgres with `read` at scrape time, until the returned function
 * is called. They are the same in every process of a deployment: aggregate them with max(), not sum().
 */
export function watchDatabase(read: () => Promise<BacklogStats>): () => void {
  reader = read;
  cached = null;
  return () => {
    if (reader === read) reader = null;
    cached = null;
  };
}

function current(): Promise<BacklogStats | null> {
  const read = reader;
  if (!read) return Promise.resolve(null);
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.stats;
  const stats = read().catch((error: unknown) => {
    // A scrape while Postgres is away shows no backlog series rather than failing whole.
    logger.warn({ err: error, component: 'metrics' }, 'reading the backlog for /metrics failed');
    return null;
  });
  cached = { at: Date.now(), stats };
  return stats;
}

scrapedGauge({
  name: 'switchyard_delivery_backlog',
  help: 'Deliveries not finished (read from Postgres), by destination kind and status; parked="true" ones wait for their connection to be resumed.',
  labelNames: ['destination_kind', 'status', 'parked'] as const,
  async read(gauge) {
    const stats = await current();
    gauge.reset();
    for (const row of stats?.backlog ?? []) {
      gauge.set({ destination_kind: row.kind, status: row.status, parked: String(row.parked) }, row.count);
    }
  },
});

scrapedGauge({
  name: 'switchyard_delivery_oldest_due_age_seconds',
  help: 'How long the oldest due delivery of an active connection has been waiting for its attempt (read from Postgres); 0 when none is due.',
  async read(gauge) {
    const stats = await current();
    if (stats) gauge.set(stats.oldestDueSeconds);
  },
});

scrapedGauge({
  name: 'switchyard_connections',
  help: 'Connections by destination kind and status (read from Postgres).',
  labelNames: ['destination_kind', 'status'] as const,
  async read(gauge) {
    const stats = await current();
    gauge.reset();
    for (const row of stats?.connections ?? []) gauge.set({ destination_kind: row.kind, status: row.status }, row.count);
  },
});
