import { EINVAL } from './errno';
import { NTSYNC_MAX_WAIT_COUNT, NTSYNC_WAIT_REALTIME } from './types';

/**
 * The checks the kernel makes on the wait struct itself, in its order, before it copies the
 * `objs` array: a caller with several things wrong sees EINVAL here rather than EFAULT later.
 * Returns 0 or -EINVAL.
 */
export function checkWaitArgs(flags: number, pad: number, owner: number, count: number): number {
  if (pad !== 0 || (flags & ~NTSYNC_WAIT_REALTIME) !== 0) return -EINVAL;
  // Rejected since 7.x (not in 6.14.0): an owner-0 wait could take a mutex nobody can unlock.
  if (owner === 0) return -EINVAL;
  // The kernel tests count * sizeof(int) with a saturating multiply; that is count > 64.
  if (count > NTSYNC_MAX_WAIT_COUNT) return -EINVAL;
  return 0;
}
