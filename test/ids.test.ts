import { describe, expect, it } from 'vitest';
import { newId } from '../src/db/ids.ts';

describe('ids', () => {
  it('are UUIDv7: version 7, RFC variant, the creation time in the first 48 bits', () => {
    const before = Date.now();
    const id = newId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const time = parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });

  it('sort by creation across milliseconds and never repeat', async () => {
    const first = Array.from({ length: 1000 }, newId);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = newId();
    expect(first.every((id) => id < second)).toBe(true);
    expect(new Set(first).size).toBe(1000);
  });
});
