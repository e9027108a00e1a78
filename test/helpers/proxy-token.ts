/**
 * @module Mints an execution token for the proxy as the sandbox's launcher does, from the key in
 * the sandbox container. The suites use it to act as hostile code whose Deno permissions failed
 * (it could then read the key): even with a valid token, the proxy's destination rules must hold.
 */
import { createHmac, randomBytes } from "node:crypto";
import { execIn, type StackInfo } from "./stack.ts";

export async function mintProxyToken(stack: StackInfo, lifetimeSeconds = 300): Promise<{ id: string; token: string }> {
  const key = (await execIn(stack, "sandbox", ["cat", "/etc/airlock/proxy-auth/key"])).stdout.trim();
  if (key.length < 32) throw new Error("no proxy auth key in the sandbox");
  const id = randomBytes(16).toString("hex");
  const expires = Math.floor(Date.now() / 1000) + lifetimeSeconds;
  const mac = createHmac("sha256", key).update(`${id}.${expires}`).digest("hex");
  return { id, token: `${id}.${expires}.${mac}` };
}

/** The proxy URL hostile code would use with a token (none: the bare URL). */
export function proxyUrl(token?: string): string {
  return token ? `http://airlock:${token}@proxy:8080` : "http://proxy:8080";
}
