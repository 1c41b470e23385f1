// Both ways to reach a calling thread's fds: PIDFD_THREAD (6.9+) and, for older kernels, the
// thread group found through /proc. Checked on this process's own threads (ptrace of oneself is
// always allowed), including threads that are not the group leader.
import { readdirSync } from 'node:fs';
import { openCallerPidfd, openThreadGroupPidfd, threadGroupOf } from '../../src/launcher/caller-pidfd';
import { O_CLOEXEC, O_RDONLY, sysClose, sysOpen } from '../../src/sys/io';
import { pidfdGetfd, pidfdOpen } from '../../src/sys/pidfd';
import { fstatIdentity, newFileIdentity } from '../../src/sys/stat';

const ENOENT = 2;
const EINVAL = 22;
const ESRCH = 3;

const nonLeaderThreads = () =>
  readdirSync('/proc/self/task')
    .map(Number)
    .filter((tid) => tid !== process.pid);

/** Takes `fd` through the pidfd and checks it is the same open file. */
function expectSameFile(pidfd: number, fd: number) {
  expect(pidfd).toBeGreaterThanOrEqual(0);
  const copy = pidfdGetfd(pidfd, fd);
  expect(copy).toBeGreaterThanOrEqual(0);
  const a = newFileIdentity();
  const b = newFileIdentity();
  expect(fstatIdentity(fd, a)).toBe(0);
  expect(fstatIdentity(copy, b)).toBe(0);
  expect(b).toEqual(a);
  sysClose(copy);
  sysClose(pidfd);
}

describe('caller pidfds', () => {
  let fd: number;
  beforeAll(() => {
    fd = sysOpen('/proc/self/exe', O_RDONLY | O_CLOEXEC);
  });
  afterAll(() => sysClose(fd));

  test('Node has threads besides the main one to try this on', () => {
    expect(nonLeaderThreads().length).toBeGreaterThan(0);
  });

  test('a non-leader thread id is not enough for a plain pidfd_open (why the fallback exists)', () => {
    const r = pidfdOpen(nonLeaderThreads()[0]!, 0);
    expect([-ENOENT, -EINVAL]).toContain(r);
  });

  test('threadGroupOf maps every thread to the process', () => {
    for (const tid of [process.pid, ...nonLeaderThreads()]) expect(threadGroupOf(tid)).toBe(process.pid);
    expect(threadGroupOf(0x3fffffff)).toBe(-ESRCH);
  });

  test('the thread-group fallback reaches the fd table from a non-leader thread id', () => {
    expectSameFile(openThreadGroupPidfd(nonLeaderThreads()[0]!), fd);
  });

  test('openCallerPidfd reaches the fd table from a non-leader thread id on this kernel', () => {
    expectSameFile(openCallerPidfd(nonLeaderThreads()[0]!), fd);
    expect(openCallerPidfd(0)).toBe(-ESRCH);
  });
});
