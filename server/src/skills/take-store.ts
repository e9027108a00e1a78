/**
 * @module Makes the skills store the gateway's own on any checkout, then drops root for good.
 *
 * The store is a folder of the operator's checkout, bind-mounted; its owner is whoever cloned the
 * repository (often root), while the gateway runs as uid 1000. So the server container starts as
 * root with only CHOWN, SETUID and SETGID, gives the store's entries to the gateway's user
 * (lchown: never through a symlink), and switches to that user before it reads a setting file,
 * opens a port or runs anything — after which it holds no capability at all.
 */
import { lchown, lstat, readdir } from "node:fs/promises";
import path from "node:path";

async function chownTree(dir: string, uid: number, gid: number): Promise<number> {
  let changed = 0;
  const info = await lstat(dir);
  if (info.uid !== uid || info.gid !== gid) {
    await lchown(dir, uid, gid);
    changed++;
  }
  if (!info.isDirectory()) return changed;
  for (const name of await readdir(dir)) {
    const child = path.join(dir, name);
    const st = await lstat(child);
    if (st.isDirectory()) changed += await chownTree(child, uid, gid);
    else if (st.uid !== uid || st.gid !== gid) {
      await lchown(child, uid, gid);
      changed++;
    }
  }
  return changed;
}

/** When running as root: own the store, then become `uid:gid` (no way back). Otherwise nothing. */
export async function takeStoreAndDropRoot(
  storeDir: string,
  uid: number,
  gid: number,
  log: (entry: Record<string, unknown>) => void,
): Promise<void> {
  if (process.getuid?.() !== 0) return;
  try {
    const changed = await chownTree(storeDir, uid, gid);
    if (changed) log({ event: "skills-store-owned", dir: storeDir, entries: changed, uid });
  } catch (err) {
    log({ level: "warn", event: "skills-store-not-owned", dir: storeDir, message: (err as Error).message });
  }
  process.setgroups?.([]);
  process.setgid!(gid);
  process.setuid!(uid);
}
