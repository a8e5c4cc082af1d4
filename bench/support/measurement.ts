import type pg from 'pg';
import type { EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import type { BenchReceiver } from './receiver.ts';

/** What every measurement gets: the cluster, a receiver, and what earlier ones found. */
export interface BenchContext {
  cluster: EmbeddedDatabase;
  receiver: BenchReceiver;
  /** A fresh, migrated database for one measurement, and a pool on it. */
  freshDatabase(name: string): Promise<{ url: string; db: pg.Pool }>;
  /** The cluster's processes, for CPU accounting. */
  postgresPids(): number[];
  found: { ingestRate?: number; deliveryRate?: number };
  /** Whether Postgres flushes each commit to disk, as `npm start`'s does (false: fsync off). */
  durable: boolean;
}

export interface Evidence {
  title: string;
  lines: string[];
}

export interface Measurement {
  name: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  /** Null where there is no target. */
  met: boolean | null;
  evidence: Evidence[];
  /** What limits the figure, as its evidence shows; RESULTS.md says it when the target is missed. */
  bottleneck?: string;
}

const perSecond = (value: number) => `${value.toFixed(0)}/s`;

/** The middle value (the upper one of an even count). */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A rate measured against a baseline rate, with the least ratio that meets the target. */
export function rateVersusBaseline(
  name: string,
  rate: number,
  baseline: { rate: number; what: string },
  minRatio: number,
  reading: Pick<Measurement, 'evidence' | 'bottleneck'>,
): Measurement {
  return {
    name,
    value: perSecond(rate),
    baseline: `${perSecond(baseline.rate)} ${baseline.what}`,
    ratio: `${((100 * rate) / baseline.rate).toFixed(0)} %`,
    target: `>= ${minRatio * 100} %`,
    met: rate >= minRatio * baseline.rate,
    ...reading,
  };
}
