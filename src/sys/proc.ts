// Small readers of /proc: process ancestry, the misc device table and the mount table.
// None of them is on the hot path; they run at start-up and on device opens.
import { readFileSync } from 'node:fs';

export interface ProcessIds {
  /** Thread-group id: the process a thread belongs to. */
  tgid: number;
  /** Parent process id; 0 for init and for processes outside our pid namespace's view. */
  ppid: number;
}

/** Tgid and PPid of a process or thread, or null when it is gone. */
export function readProcessIds(pid: number): ProcessIds | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return null;
  }
  return parseStatusIds(text);
}

export function parseStatusIds(status: string): ProcessIds | null {
  const tgid = /^Tgid:\s*(\d+)$/m.exec(status);
  const ppid = /^PPid:\s*(\d+)$/m.exec(status);
  if (!tgid || !ppid) return null;
  return { tgid: Number(tgid[1]), ppid: Number(ppid[1]) };
}

/** The minor number /proc/misc lists for `name` (misc devices have major 10), or -1. */
export function miscMinor(name: string, miscText?: string): number {
  let text = miscText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/misc', 'latin1');
    } catch {
      return -1;
    }
  }
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
    if (m && m[2] === name) return Number(m[1]);
  }
  return -1;
}

export const MISC_MAJOR = 10;

export interface MountEntry {
  mountId: number;
  parentId: number;
  /** The filesystem's device number, as st_dev of its files shows it. */
  devMajor: number;
  devMinor: number;
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Parses /proc/self/mountinfo (see proc(5)); octal escapes such as \040 are decoded. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 3) continue;
    const dev = /^(\d+):(\d+)$/.exec(fields[2]);
    if (!dev) continue;
    entries.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      devMajor: Number(dev[1]),
      devMinor: Number(dev[2]),
      root: unescapeMountField(fields[3]),
      mountPoint: unescapeMountField(fields[4]),
      fsType: unescapeMountField(fields[dash + 1]),
      source: unescapeMountField(fields[dash + 2]),
    });
  }
  return entries;
}

export function readMountInfo(): MountEntry[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'latin1'));
}

function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
