/**
 * @module Bounds how many executions run at once. Callers past the limit wait in a FIFO queue
 * (itself bounded) until a slot frees or their own deadline passes; nobody is refused while the
 * queue has room.
 */

export class QueueFullError extends Error {}
export class QueueTimeoutError extends Error {}

export interface Limiter {
  /** Resolves with a release function once a slot is held. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  stats(): { running: number; queued: number };
}

export function createLimiter(maxRunning: number, maxQueued: number): Limiter {
  let running = 0;
  const waiting: Array<{ grant: () => void }> = [];

  const release = () => {
    const next = waiting.shift();
    if (next) next.grant();
    else running--;
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };

  return {
    acquire(signal) {
      if (running < maxRunning) {
        running++;
        return Promise.resolve(once());
      }
      if (waiting.length >= maxQueued) {
        return Promise.reject(new QueueFullError(`the execution queue is full (${maxQueued} waiting)`));
      }
      return new Promise((resolve, reject) => {
        const entry = {
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve(once());
          },
        };
        const onAbort = () => {
          const at = waiting.indexOf(entry);
          if (at !== -1) waiting.splice(at, 1);
          reject(new QueueTimeoutError("gave up waiting for a free execution slot"));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        waiting.push(entry);
      });
    },
    stats: () => ({ running, queued: waiting.length }),
  };
}
