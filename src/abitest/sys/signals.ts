// Signals aimed at one thread blocked in a wait, to check the ERESTARTSYS rules: a handler
// installed without SA_RESTART must turn the wait into EINTR, one with SA_RESTART must restart
// it transparently. The handler itself is libc's abs(): async-signal-safe, does nothing
// visible, and has a `void (*)(int)`-compatible calling convention, so no JS runs in signal
// context. Two real-time signals are used so nothing Node or libuv relies on is touched.
import { libc, koffi } from '../../sys/libc';

const c_dlsym = libc.func('uintptr_t dlsym(uintptr_t handle, const char *name)');
const c_signal = libc.func('uintptr_t signal(int sig, uintptr_t handler)');
const c_siginterrupt = libc.func('int siginterrupt(int sig, int flag)');
const c_tgkill = libc.func('int tgkill(int tgid, int tid, int sig)');
const c_sigrtmin = libc.func('int __libc_current_sigrtmin()');

export interface ThreadSignals {
  /** Handler without SA_RESTART: a blocked wait returns EINTR. */
  readonly interrupting: number;
  /** Handler with SA_RESTART: a blocked wait restarts. */
  readonly restarting: number;
}

let installed: ThreadSignals | undefined;

/** Installs the two handlers once per process and returns their signal numbers. */
export function threadSignals(): ThreadSignals {
  if (installed) return installed;
  const handler = Number(c_dlsym(0, 'abs')); // RTLD_DEFAULT
  if (!handler) throw new Error('dlsym(abs) failed');
  const rtmin = c_sigrtmin();
  const interrupting = rtmin + 4;
  const restarting = rtmin + 5;
  // glibc's signal() installs BSD semantics (SA_RESTART); siginterrupt(sig, 1) clears it.
  c_signal(interrupting, handler);
  if (c_siginterrupt(interrupting, 1) !== 0) throw new Error(`siginterrupt failed: errno ${koffi.errno()}`);
  c_signal(restarting, handler);
  if (c_siginterrupt(restarting, 0) !== 0) throw new Error(`siginterrupt failed: errno ${koffi.errno()}`);
  installed = { interrupting, restarting };
  return installed;
}

/** Sends `sig` to one thread of this process; 0 or -errno. */
export function signalThread(tid: number, sig: number): number {
  return c_tgkill(process.pid, tid, sig) === 0 ? 0 : -koffi.errno();
}
