// Checks made before touching anything, each failing with the fix in its message.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { MISC_MAJOR, miscMinor } from '../../sys/proc';
import { devMajor, devMinor } from './dev-numbers';
import { StartupError } from './startup-error';

export function checkRoot(uid = process.getuid?.() ?? -1): void {
  if (uid !== 0) {
    throw new StartupError(
      'ntsyncd must run as root: it mounts a FUSE filesystem and reads the memory of the processes that wait ' +
        '(run it as a systemd service, or with `sudo ntsyncd`)',
    );
  }
}

export function checkFuseDevice(path = '/dev/fuse'): void {
  if (!existsSync(path)) {
    throw new StartupError(`${path} is missing: this kernel has no FUSE support loaded (try \`modprobe fuse\`)`);
  }
}

/**
 * A FUSE request timeout (Linux 6.14+) aborts the whole connection when any request stays
 * unanswered that long, and a wait with no deadline legitimately stays unanswered for hours.
 */
export function checkRequestTimeout(dir = '/proc/sys/fs/fuse'): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('request_timeout'));
  } catch {
    return; // older kernels have no such setting
  }
  for (const name of names) {
    const value = Number(readFileSync(`${dir}/${name}`, 'latin1').trim());
    if (value !== 0) {
      throw new StartupError(
        `${dir}/${name} is ${value}: the kernel would abort ntsyncd's connection whenever a wait lasts longer than ` +
          `${value} s. Set it to 0 first (\`sysctl fs.fuse.${name}=0\`)`,
      );
    }
  }
}

/** Refuses to shadow the kernel's own ntsync driver: a kernel that has it needs no daemon. */
export function checkNotKernelDevice(devicePath: string, misc?: string): void {
  let st;
  try {
    st = statSync(devicePath);
  } catch {
    return;
  }
  if (!st.isCharacterDevice()) return;
  const minor = miscMinor('ntsync', misc);
  if (minor >= 0 && devMajor(st.rdev) === MISC_MAJOR && devMinor(st.rdev) === minor) {
    throw new StartupError(
      `${devicePath} is the kernel's own ntsync driver (misc device ${MISC_MAJOR}:${minor}): this kernel does not need ntsyncd. ` +
        'Stop ntsyncd, or serve another path with --device',
    );
  }
}
