import { Pool } from 'undici';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** Polls `check` every 20 ms until it is true or `limitMs` passes; says whether it became true. */
export async function waitUntil(check: () => boolean | Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(20);
  }
  return false;
}

export interface PostTarget {
  origin: string;
  path: string;
  headers?: Record<string, string>;
}

/**
 * Closed loop: `clients` keep-alive clients POST `body()` back to back for `seconds`.
 * Returns requests per second. Any answer but 200 stops the run: a failing run measures nothing.
 */
export async function closedLoop(target: PostTarget, body: () => string, options: { clients: number; seconds: number }): Promise<number> {
  const pool = new Pool(target.origin, { connections: options.clients });
  const deadline = Date.now() + options.seconds * 1000;
  let done = 0;
  try {
    await Promise.all(Array.from({ length: options.clients }, async () => {
      while (Date.now() < deadline) {
        await post(pool, target, body());
        done++;
      }
    }));
  } finally {
    await pool.close();
  }
  return done / options.seconds;
}

/** Open loop: one POST every 1000/rate ms for `seconds`, whatever the answers take. */
export async function openLoop(target: PostTarget, body: () => string, options: { rate: number; seconds: number }): Promise<void> {
  const pool = new Pool(target.origin, { connections: 32 });
  const total = Math.round(options.rate * options.seconds);
  const started = performance.now();
  const sent: Promise<void>[] = [];
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / options.rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sent.push(post(pool, target, body()));
    }
    await Promise.all(sent);
  } finally {
    await pool.close();
  }
}

async function post(pool: Pool, target: PostTarget, body: string): Promise<void> {
  const response = await pool.request({ method: 'POST', path: target.path, headers: { 'content-type': 'application/json', ...target.headers }, body });
  const text = await response.body.text();
  if (response.statusCode !== 200 || /"errors"|Error"/.test(text)) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`);
}
