/**
 * A tiny typed event emitter that runs in Node and in browsers (no `node:events`).
 *
 * `Events` maps each event name to its listener's argument list. Unlike Node's
 * EventEmitter, an `error` event with no listener is simply dropped, and a listener that
 * throws does not disturb the emitter or the other listeners: its error is re-thrown on a
 * fresh microtask, where it surfaces as an uncaught exception (Node) or a console error
 * (browsers) instead of corrupting the caller's state half-way through a frame.
 */
// biome-ignore lint/suspicious/noExplicitAny: listener argument lists are any tuple
export type EventMap = Record<string, any[]>;

export type Listener<Args extends unknown[]> = (...args: Args) => void;

export class TypedEmitter<Events extends EventMap> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never[]>>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as unknown as Listener<never[]>);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs at most once; returns a function that removes it. */
  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    const off = this.on(event, (...args: Events[E]) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): void {
    this.listeners.get(event)?.delete(listener as unknown as Listener<never[]>);
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    // A copy: listeners may add or remove listeners while running.
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<Events[E]>)(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
