import { describe, expect, it } from 'vitest';
import { PoolCleared, TaskPool } from '../../web/src/browser/task-pool.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('TaskPool', () => {
  it('never runs more than its concurrency, even when tasks arrive as others finish', async () => {
    const pool = new TaskPool(3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const task = (i: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      running--;
      done.push(i);
      // A new task queued at the very moment one finishes.
      if (i < 20) void pool.run(task(i + 100));
      return i;
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(task(i))));
    while (pool.active > 0 || pool.queued > 0) await tick();
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(done).toHaveLength(40);
  });

  it('passes errors through and frees the slot', async () => {
    const pool = new TaskPool(1);
    await expect(pool.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pool.run(async () => 'next')).resolves.toBe('next');
    expect(pool.active).toBe(0);
  });

  it('drops the waiting tasks on clear', async () => {
    const pool = new TaskPool(1);
    let release = () => {};
    const first = pool.run(() => new Promise<string>((r) => (release = () => r('first'))));
    const second = pool.run(async () => 'second');
    expect(pool.queued).toBe(1);
    pool.clear();
    await expect(second).rejects.toBeInstanceOf(PoolCleared);
    release();
    await expect(first).resolves.toBe('first');
    expect(pool.active).toBe(0);
  });
});
