// The launcher is a child subreaper: every orphan below it is re-parented to it, and it must
// reap them (nobody else will) while leaving the command itself to libuv, which waits for it by
// pid to report its status. waitid(WNOWAIT) peeks at the next zombie without reaping it.
import { readdirSync, readFileSync } from 'node:fs';
import { P_ALL, P_PID, waitId, WEXITED, WNOHANG, WNOWAIT, type ChildState } from '../sys/wait';

const ECHILD = 10;
const EINTR = 4;

export class Descendants {
  private readonly peeked: ChildState = { pid: 0, code: 0, status: 0 };
  private readonly reaped: ChildState = { pid: 0, code: 0, status: 0 };

  /** @param ownedByLibuv whether `pid` is a child that child_process still waits for */
  constructor(private readonly ownedByLibuv: (pid: number) => boolean) {}

  /**
   * Reaps every adopted orphan that has exited. Returns true when this process has no child
   * left at all, alive or zombie; every descendant is then gone, since an orphan anywhere below
   * would have been re-parented to us.
   */
  reapOrphans(): boolean {
    for (;;) {
      const r = waitId(P_ALL, 0, WEXITED | WNOHANG | WNOWAIT, this.peeked);
      if (r === -ECHILD) return true;
      if (r === -EINTR) continue;
      if (r < 0) throw new Error(`waitid failed: errno ${-r}`);
      if (this.peeked.pid === 0) return false; // children alive, none exited
      // The command's zombie stays for libuv; its exit event calls us again once it is reaped.
      if (this.ownedByLibuv(this.peeked.pid)) return false;
      waitId(P_PID, this.peeked.pid, WEXITED | WNOHANG, this.reaped);
    }
  }

  /** Whether child `pid` has exited and waits to be reaped (peeked at, not reaped). */
  hasExited(pid: number): boolean {
    return waitId(P_PID, pid, WEXITED | WNOHANG | WNOWAIT, this.peeked) === 0 && this.peeked.pid === pid;
  }

  /** Our direct children that are still around, from /proc (orphans adopted included). */
  children(): number[] {
    const self = process.pid;
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === self) found.push(Number(entry));
    }
    return found;
  }
}
