/**
 * @module The key the gateway presents to the docker-socket filter on every request. Network
 * placement alone is not enough: any user on the Docker host reaches the internal control bridge.
 * The filter makes the key at its first start in a volume that only it and the gateway mount
 * (never in an image or the repository); the gateway reads it. One definition for both sides.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";

export const FILTER_KEY_HEADER = "x-airlock-filter-key";
const MIN_LENGTH = 32;

/** The filter's side: the key in `file`, made now if there is none yet. */
export async function ensureFilterKey(file: string): Promise<string> {
  try {
    // 0644: the gateway runs as another uid; only these two containers mount the volume.
    await writeFile(file, randomBytes(32).toString("hex") + "\n", { flag: "wx", mode: 0o644 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readFilterKey(file);
}

/** The gateway's side (and the filter's): the key, or an error naming the file. */
export async function readFilterKey(file: string): Promise<string> {
  const key = (await readFile(file, "utf8")).trim();
  if (key.length < MIN_LENGTH) throw new Error(`the docker filter key in ${file} is shorter than ${MIN_LENGTH} characters`);
  return key;
}

/** Constant-time comparison of a presented key with the real one. */
export function keyMatches(presented: string | string[] | undefined, key: string): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}
