/**
 * At most `concurrency` tasks running at once; the others wait their turn, first come
 * first served. A finishing task hands its slot straight to the next waiting one, so the
 * bound holds even when new tasks arrive at the same moment. Pure.
 */
export class PoolCleared extends Error {
  override readonly name = 'PoolCleared';
}

interface Waiter {
  go(): void;
  cancel(): void;
}

export class TaskPool {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly concurrency: number) {
    if (!(concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else {
      // Resolved by a finishing task, which passes its slot on (running stays the same).
      await new Promise<void>((go, cancel) => this.waiting.push({ go, cancel: () => cancel(new PoolCleared()) }));
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next.go();
      else this.running--;
    }
  }

  /** Rejects every task that has not started yet with `PoolCleared`. */
  clear(): void {
    for (const w of this.waiting.splice(0)) w.cancel();
  }
}
