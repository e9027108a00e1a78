/** @module What the fake upstream API really received (read from inside its container). */
import { randomUUID } from "node:crypto";
import { execIn, type StackInfo } from "./stack.ts";

export interface Received {
  method: string;
  /** The port the request came from: requests that shared a connection share it. */
  peerPort: number | null;
  host: string | null;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

/** A unique marker to put in a request's query so a test finds exactly its own requests. */
export const marker = () => `m-${randomUUID()}`;

export async function receivedWith(stack: StackInfo, mark: string): Promise<Received[]> {
  const result = await execIn(stack, "fake-api", ["cat", "/tmp/received.jsonl"]);
  return result.stdout
    .split("\n")
    .filter((line) => line.includes(mark))
    .map((line) => JSON.parse(line) as Received);
}
