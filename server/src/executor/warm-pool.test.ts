import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import type { OpenedExec, OpenRequest } from "./run-in-sandbox.ts";
import { createWarmPool } from "./warm-pool.ts";

/** A stand-in for a hijacked exec stream: enough to be destroyed, paused and closed. */
type FakeStream = Duplex & { close(): void };

function fakeStream(): FakeStream {
  const e = new EventEmitter() as unknown as { -readonly [K in keyof FakeStream]: FakeStream[K] };
  e.destroyed = false;
  e.destroy = () => {
    e.destroyed = true;
    e.emit("close");
    return e as FakeStream;
  };
  e.pause = () => e as FakeStream;
  e.close = () => void e.destroy();
  return e as FakeStream;
}

function harness(fail = false) {
  const opened: Array<OpenedExec & { stream: ReturnType<typeof fakeStream> }> = [];
  const requests: OpenRequest[] = [];
  const pool = createWarmPool({
    size: 2,
    backstopSeconds: 300,
    log: () => {},
    open: async (req) => {
      requests.push(req);
      if (fail) throw new Error("sandbox away");
      const o = { exec: {} as never, stream: fakeStream(), executionId: req.executionId, hostsKey: req.allowedHosts.join(",") || "-" };
      opened.push(o);
      return o;
    },
  });
  return { pool, opened, requests };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe("warm pool", () => {
  it("should pre-start executions for the current hosts and hand each out once", async () => {
    const { pool, opened } = harness();
    pool.prime(["a.test"]);
    await settle();
    expect(pool.size()).toBe(2);
    const first = pool.take(["a.test"])!;
    const second = pool.take(["a.test"])!;
    expect(first.executionId).not.toBe(second.executionId);
    expect(pool.take(["a.test"])).toBeUndefined();
    expect(opened).toHaveLength(2);
  });

  it("should never hand out an execution started for other hosts, and drain it", async () => {
    const { pool, opened } = harness();
    pool.prime(["a.test"]);
    await settle();
    expect(pool.take(["a.test", "b.test"])).toBeUndefined();
    expect(opened.every((o) => o.stream.destroyed)).toBe(true);
    pool.prime(["a.test", "b.test"]);
    await settle();
    expect(pool.take(["a.test", "b.test"])!.hostsKey).toBe("a.test,b.test");
  });

  it("should drop an execution that died while waiting and replace it", async () => {
    const { pool, opened } = harness();
    pool.prime(["a.test"]);
    await settle();
    opened[0]!.stream.close();
    await settle();
    expect(pool.size()).toBe(2);
    expect(opened).toHaveLength(3);
  });

  it("should back off instead of spinning while the sandbox is away", async () => {
    const { pool, requests } = harness(true);
    pool.prime(["a.test"]);
    await new Promise((r) => setTimeout(r, 100));
    expect(requests.length).toBeLessThanOrEqual(2);
    pool.close();
  });
});
