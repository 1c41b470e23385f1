// Which processes hold fds of our objects: one pass over /proc/*/fd. readlink only (it names
// the file without asking the filesystem), so it never sends a request to our own mount.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Object id -> pids holding it. An object's fd reads as `<mount>/<id>`, or, once its name is
 * gone from the mount's namespace, `<mount>/<id> (deleted)`. `idOf` says whether that id is a
 * live object (its id, or 0).
 */
export function scanObjectHolders(mount: string, idOf: (ino: number) => number = (n) => n): Map<number, number[]> {
  const prefix = mount.endsWith('/') ? mount : `${mount}/`;
  const holders = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    const seen = new Set<number>();
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith(prefix)) continue;
      const name = Number(target.slice(prefix.length).replace(/ \(deleted\)$/, ''));
      if (!Number.isInteger(name)) continue;
      const id = idOf(name);
      if (id === 0 || seen.has(id)) continue;
      seen.add(id);
      const list = holders.get(id);
      if (list) list.push(pid);
      else holders.set(id, [pid]);
    }
  }
  return holders;
}

/** The command name of a process or thread, "?" when it has gone. */
export function processName(id: number): string {
  try {
    return readFileSync(`/proc/${id}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}
