// Divergences of ntsyncd from the kernel driver that the fuzzer found and that the FUSE
// transport cannot remove: the kernel's FUSE module answers these before ntsyncd sees them.
// The random runs leave their operations out (the client's --skip-known NAME, decided from the
// operation alone, so both sides skip the same ones), so that the runs keep catching new
// divergences; each is pinned instead by a regression case, its minimal reproduction, whose
// traces must differ in exactly the documented way. If ntsyncd ever matches the kernel there,
// that test fails: remove the entry (and its name in test/fuzz/client/client.h).
import type { Job } from './jobs';

export interface KnownDivergence {
  /** The client's name for it (enum known in client.h). */
  name: string;
  title: string;
  /** What the kernel does, what ntsyncd does, and why. */
  details: string;
  /** Its minimal reproduction; it diverges until ntsyncd is fixed. */
  regression: Job;
  /**
   * The kernel's line for the diverging operation in the regression case. Sequences come
   * from the generator, so a change there can turn the case into something else: this says so.
   */
  kernelLine: RegExp;
  /** ntsyncd's line for the same operation: the documented difference. */
  ntsyncdLine: RegExp;
}

export const KNOWN_DIVERGENCES: readonly KnownDivergence[] = [
  {
    name: 'fionread',
    title: 'FIONREAD on a device or object fd',
    details:
      "The kernel driver's files are a misc character device and an anonymous inode, so the VFS " +
      'passes FIONREAD to the driver, which answers ENOTTY. ntsyncd\'s device (FUSE transport) and ' +
      'objects are regular files of a FUSE mount, for which the VFS answers FIONREAD itself: ' +
      'success and 0 bytes readable. (ntsync-run could trap FIONREAD on those files like it ' +
      'traps the CREATEs.)',
    regression: { seed: 38, count: 1, ops: 48, only: '5,12' },
    kernelLine: /^#12 ioctl o3 0x541b -> -1 ENOTTY /m,
    ntsyncdLine: /^#12 ioctl o3 0x541b -> 0 /,
  },
  {
    name: 'wrongfd-efault',
    title: 'an ioctl with input and a NULL argument on an fd of the other kind (device vs object)',
    details:
      'The kernel driver looks at the command first: an object ioctl on the device fd, or a ' +
      'device ioctl (CREATE, WAIT) on an object fd, is ENOTTY whatever the argument. Through ' +
      "FUSE, the kernel's FUSE module copies the argument in (its size is encoded in the " +
      'command) before ntsyncd sees the command, so a NULL argument gives EFAULT there.',
    regression: { seed: 198, count: 1, ops: 48, only: '43' },
    kernelLine: /^#43 sem_release d1 0x2 arg=NULL -> -1 ENOTTY /m,
    ntsyncdLine: /^#43 sem_release d1 0x2 arg=NULL -> -1 EFAULT/,
  },
];
