import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { runMain } from './helpers/child-process.ts';

/** An empty database, not cloned from the migrated template: what a first deployment meets. */
async function emptyDatabase(): Promise<string> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `switchyard_fresh_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  try {
    await admin.query(`create database "${name}" template template0`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('processes starting together on a fresh database', () => {
  it('migrate it once, print one admin key between them, and both come up', async () => {
    for (let round = 0; round < 2; round++) {
      const databaseUrl = await emptyDatabase();
      // No SWITCHYARD_ADMIN_KEY: the first start on the database makes one.
      const env = { DATABASE_URL: databaseUrl, PORT: '0', SWITCHYARD_ADMIN_KEY: '', SWITCHYARD_LOG_LEVEL: 'info' };
      const processes = [runMain({ ...env, SWITCHYARD_ROLE: 'all' }), runMain({ ...env, SWITCHYARD_ROLE: 'all' }), runMain({ ...env, SWITCHYARD_ROLE: 'worker', SWITCHYARD_OPS_PORT: '0' })];
      try {
        await Promise.all(processes.map((started, index) => started.waitFor(index < 2 ? /GraphQL API: http/ : /Delivery worker running/)));
        const keys = processes.flatMap((started) => [...started.output().matchAll(/Admin key[^:]*: (sy_admin_[\w-]+)/g)].map((match) => match[1]));
        expect(keys).toHaveLength(1);
        const db = new pg.Client(databaseUrl);
        await db.connect();
        try {
          const { rows: [admins] } = await db.query(`select count(*)::int as count from api_keys where kind = 'ADMIN'`);
          expect(admins!.count).toBe(1);
        } finally {
          await db.end();
        }
      } finally {
        const codes = await Promise.all(processes.map((started) => started.stop('SIGINT')));
        expect(codes, processes.map((started) => started.output()).join('\n---\n')).toEqual([0, 0, 0]);
      }
    }
  }, 180_000);
});
