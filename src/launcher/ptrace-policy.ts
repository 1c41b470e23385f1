// The supervisor takes fds from, and reads memory of, the programs it runs (pidfd_getfd,
// process_vm_readv): both need ptrace access. Yama can forbid that to everyone (scope 3) or to
// all but CAP_SYS_PTRACE (scope 2); then every CREATE would fail after the device opened
// fine, which breaks Wine. Better to refuse to start, saying why.
import { readFileSync } from 'node:fs';

const CAP_SYS_PTRACE = 19;

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

function hasEffectiveCapability(status: string, cap: number): boolean {
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return match !== null && ((BigInt(`0x${match[1]}`) >> BigInt(cap)) & 1n) === 1n;
}

/** Why ptrace access to our children is denied, or null when it is allowed. */
export function ptraceBlocker(
  scopeText: string | null = readOrNull('/proc/sys/kernel/yama/ptrace_scope'),
  status: string = readOrNull('/proc/self/status') ?? '',
): string | null {
  const scope = scopeText === null ? 0 : Number(scopeText.trim()); // no Yama: classic rules
  const fix = 'ntsync-run needs ptrace access to the programs it runs; allow it with `sudo sysctl kernel.yama.ptrace_scope=1`.';
  if (scope >= 3) return `kernel.yama.ptrace_scope is ${scope}: nobody may ptrace, not even root, until reboot. ${fix}`;
  if (scope === 2 && !hasEffectiveCapability(status, CAP_SYS_PTRACE)) {
    return `kernel.yama.ptrace_scope is 2: only CAP_SYS_PTRACE may ptrace. ${fix}`;
  }
  return null;
}
