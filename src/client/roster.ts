/**
 * The connected users, in join order, kept from `c2/QUERY active_users` and the join,
 * rename and leave broadcasts that follow it.
 *
 * The answer to `active_users` already reflects every broadcast that reached this client
 * before it (the server handles one frame at a time and sends in order), so broadcasts
 * before the answer are ignored and those after it are applied.
 */
import { usernameKey } from '../protocol/rules.js';

export class Roster {
  /** Replaced, never mutated: a list handed out stays as it was (a snapshot). */
  private names: readonly string[] | null = null;

  /** The users, or an empty list before the first answer. */
  get users(): readonly string[] {
    return this.names ?? [];
  }

  get known(): boolean {
    return this.names !== null;
  }

  set(names: readonly string[]): void {
    this.names = [...names];
  }

  /** Each returns whether the list changed. */
  add(name: string): boolean {
    if (this.names === null) return false;
    this.names = [...this.names, name];
    return true;
  }

  rename(from: string, to: string): boolean {
    const i = this.indexOf(from);
    if (i === -1 || this.names === null) return false;
    this.names = this.names.map((n, j) => (j === i ? to : n));
    return true;
  }

  remove(name: string): boolean {
    const i = this.indexOf(name);
    if (i === -1 || this.names === null) return false;
    this.names = this.names.filter((_, j) => j !== i);
    return true;
  }

  private indexOf(name: string): number {
    if (this.names === null) return -1;
    const exact = this.names.indexOf(name);
    if (exact !== -1) return exact;
    const key = usernameKey(name);
    return this.names.findIndex((n) => usernameKey(n) === key);
  }
}
