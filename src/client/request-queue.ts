/**
 * The requests waiting for their responses, oldest first. The c2 ordering promise
 * (contract §4) says each request gets exactly one response, in the order the requests
 * were sent, so the oldest pending request is always the one the next response answers.
 */
import type { ServerMessage } from '../protocol/messages.js';
import { C2Error, serverError } from './errors.js';

/** What may answer a request besides `c2/ERROR`. */
export type Expect = 'ack' | 'msg' | 'ping';

export interface Pending {
  readonly expect: Expect;
  /** What was asked, for error messages (`MSG`, `QUERY history`…). */
  readonly what: string;
  /** `performance.now()` when it was sent. */
  readonly sentAt: number;
  /** Runs synchronously with the response, before the next frame is handled. */
  readonly answer: (message: ServerMessage) => void;
  readonly reject: (error: C2Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface PendingSpec<T> {
  expect: Expect;
  what: string;
  /**
   * Turns the response (never an ERROR: those reject) into the request's result. Runs
   * synchronously as the frame is handled, so state changes (a new own name…) are in place
   * before the next frame; throwing a C2Error rejects the request.
   */
  onAnswer: (message: ServerMessage, sentAt: number) => T;
}

export class RequestQueue {
  private readonly items: Pending[] = [];

  constructor(
    private readonly maxInFlight: number,
    private readonly timeoutMs: number,
    /** Called when a request has waited past the timeout. */
    private readonly onTimeout: (pending: Pending) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** The request the next response answers. */
  peek(): Pending | undefined {
    return this.items[0];
  }

  /**
   * Queues a request and returns its result. `send` puts the frame on the wire once the
   * request is queued (so a synchronous echo can never find the queue without it).
   */
  add<T>(spec: PendingSpec<T>, send: () => void): Promise<T> {
    if (this.items.length >= this.maxInFlight) {
      return Promise.reject(
        new C2Error('too_many_requests', `${this.maxInFlight} requests are already waiting for their answers`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const sentAt = performance.now();
      const pending: Pending = {
        expect: spec.expect,
        what: spec.what,
        sentAt,
        timer: undefined,
        reject,
        answer: (message) => {
          if (message.type === 'ERROR') {
            reject(serverError(message));
            return;
          }
          try {
            resolve(spec.onAnswer(message, sentAt));
          } catch (err) {
            reject(err);
          }
        },
      };
      pending.timer = setTimeout(() => this.onTimeout(pending), this.timeoutMs);
      this.items.push(pending);
      try {
        send();
      } catch (err) {
        this.items.pop();
        clearTimeout(pending.timer);
        reject(err);
      }
    });
  }

  /** Removes and returns the oldest request. */
  shift(): Pending | undefined {
    const pending = this.items.shift();
    if (pending !== undefined) clearTimeout(pending.timer);
    return pending;
  }

  /** Rejects every pending request with `error`. */
  rejectAll(error: C2Error): void {
    const items = this.items.splice(0);
    for (const pending of items) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}
