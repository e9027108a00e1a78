import { describe, expect, it } from "vitest";
import { createLimiter, QueueFullError, QueueTimeoutError } from "./limiter.ts";

describe("limiter", () => {
  it("should run up to the limit, queue the rest in order, and hand slots on", async () => {
    const limiter = createLimiter(2, 10);
    const a = await limiter.acquire();
    await limiter.acquire();
    const order: string[] = [];
    const c = limiter.acquire().then((release) => (order.push("c"), release));
    const d = limiter.acquire().then((release) => (order.push("d"), release));
    expect(limiter.stats()).toEqual({ running: 2, queued: 2 });
    a();
    a(); // releasing twice frees one slot only
    (await c)();
    (await d)();
    expect(order).toEqual(["c", "d"]);
  });

  it("should refuse at once when the queue is full", async () => {
    const limiter = createLimiter(1, 1);
    await limiter.acquire();
    void limiter.acquire();
    await expect(limiter.acquire()).rejects.toBeInstanceOf(QueueFullError);
  });

  it("should give up waiting when the caller's deadline passes, and leave the queue", async () => {
    const limiter = createLimiter(1, 5);
    await limiter.acquire();
    await expect(limiter.acquire(AbortSignal.timeout(50))).rejects.toBeInstanceOf(QueueTimeoutError);
    expect(limiter.stats().queued).toBe(0);
  });
});
