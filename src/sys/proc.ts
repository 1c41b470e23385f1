// Small readers of /proc: process ancestry, the misc device table and the mount table.
// None of them is on the hot path; they run at start-up and on device opens.
import { readFileSync } from 'node:fs';
import { O_CLOEXEC, O_RDONLY, sysClose, sysOpen } from './io';
import { readInto } from './raw-io';

export interface ProcessIds {
  /** Thread-group id: the process a thread belongs to. */
  tgid: number;
  /** Parent process id; 0 for init and for processes outside our pid namespace's view. */
  ppid: number;
}

const statusBuf = new Uint8Array(512);
const TGID = '\nTgid:\t';
const PPID = '\nPPid:\t';

/**
 * Tgid and PPid of a process or thread, or null when it is gone. Read with raw syscalls into
 * a reused buffer: this runs for every CREATE and object open, where Node's readFileSync
 * would cost four times as much.
 */
export function readProcessIds(pid: number): ProcessIds | null {
  const fd = sysOpen(`/proc/${pid}/status`, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return null;
  const n = readInto(fd, statusBuf, statusBuf.length);
  sysClose(fd);
  return n > 0 ? parseStatusIds(statusBuf, n) : null;
}

/** The fields come early in the file (Name, Umask, State, Tgid, Ngid, Pid, PPid, ...). */
export function parseStatusIds(status: Uint8Array, length: number): ProcessIds | null {
  const tgid = fieldValue(status, length, TGID);
  const ppid = fieldValue(status, length, PPID);
  return tgid < 0 || ppid < 0 ? null : { tgid, ppid };
}

/** The decimal number after `label`, or -1. */
function fieldValue(buf: Uint8Array, length: number, label: string): number {
  outer: for (let i = 0; i + label.length < length; i++) {
    for (let j = 0; j < label.length; j++) if (buf[i + j] !== label.charCodeAt(j)) continue outer;
    let v = 0;
    let k = i + label.length;
    if (k >= length || buf[k] < 48 || buf[k] > 57) return -1;
    for (; k < length && buf[k] >= 48 && buf[k] <= 57; k++) v = v * 10 + (buf[k] - 48);
    return v;
  }
  return -1;
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

/** This process's soft limit on open files (RLIMIT_NOFILE); 1024 if it cannot be read. */
export function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return 1 << 30;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : 1024;
  } catch {
    return 1024;
  }
}
