// Fd witnesses (src/sys/fd-witness.ts): a witness vouches for an fd only while that fd names the
// very file it was taken from, and holds no reference that would keep the file alive. Tested on
// this process's own fds (kcmp and pidfd_getfd work on oneself), with pipes: pollable, and the
// reader sees EOF exactly when the last reference to the write end is gone.
import { libc, lastErrno } from '../../src/sys/libc';
import { FdWitnesses } from '../../src/sys/fd-witness';
import { pidfdGetfd, pidfdOpen } from '../../src/sys/pidfd';
import { sysClose } from '../../src/sys/io';

const c_pipe2 = libc.func('int pipe2(_Out_ int *fds, int flags)');
const c_dup2 = libc.func('int dup2(int oldfd, int newfd)');
const c_read = libc.func('intptr_t read(int fd, _Out_ uint8_t *buf, size_t count)');
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const EAGAIN = 11;

const tid = process.pid; // jest runs the test on the main thread
let pidfd = -1;
const opened: number[] = [];

function pipe(): [number, number] {
  const fds = [0, 0];
  if (c_pipe2(fds, O_NONBLOCK | O_CLOEXEC) !== 0) throw new Error(`pipe2: errno ${lastErrno()}`);
  opened.push(fds[0], fds[1]);
  return [fds[0], fds[1]];
}

/** Our duplicate of `fd` the way the daemon gets one of a caller's fds. */
function duplicate(fd: number): number {
  const file = pidfdGetfd(pidfd, fd);
  if (file < 0) throw new Error(`pidfd_getfd: ${file}`);
  return file;
}

function remember(w: FdWitnesses, fd: number, objectId: number): boolean {
  const file = duplicate(fd);
  const taken = w.remember(tid, tid, fd, file, objectId);
  sysClose(file);
  return taken;
}

/** read() on the non-blocking read end: 0 at EOF, -EAGAIN while a writer exists. */
function readEnd(fd: number): number {
  const n = Number(c_read(fd, new Uint8Array(1), 1));
  return n < 0 ? -lastErrno() : n;
}

beforeAll(() => {
  pidfd = pidfdOpen(process.pid, 0);
  expect(pidfd).toBeGreaterThanOrEqual(0);
});

afterAll(() => {
  for (const fd of opened) sysClose(fd);
  sysClose(pidfd);
});

test('a witness vouches for its fd while the fd names the same file, and holds no reference to it', () => {
  const w = new FdWitnesses(8);
  const [r, wr] = pipe();
  expect(remember(w, wr, 41)).toBe(true);
  expect(w.check(tid, tid, wr)).toBe(41);
  expect(w.check(tid, tid, wr)).toBe(41);
  expect(w.hits).toBe(2);
  // Another number for the same file was never vouched for.
  expect(w.check(tid, tid, r)).toBe(0);

  // Closing the only fd of the write end ends the file at once: the witness holds nothing.
  expect(readEnd(r)).toBe(-EAGAIN);
  sysClose(wr);
  opened.splice(opened.indexOf(wr), 1);
  expect(readEnd(r)).toBe(0);
  expect(w.check(tid, tid, wr)).toBe(0);
  expect(w.size).toBe(0); // a stale witness is dropped when found out
  w.close();
});

test('a number reused for another file is a miss, and the same file back at the number is a hit', () => {
  const w = new FdWitnesses(8);
  const [, a] = pipe();
  const [, b] = pipe();
  const [, slot] = pipe();
  // `slot` names a's file; keep a's file alive elsewhere (fd a) while the number moves around.
  expect(c_dup2(a, slot)).toBe(slot);
  expect(remember(w, slot, 7)).toBe(true);
  expect(w.check(tid, tid, slot)).toBe(7);
  expect(c_dup2(b, slot)).toBe(slot); // another thread could do this between two waits
  expect(w.check(tid, tid, slot)).toBe(0);
  expect(w.size).toBe(0);
  // The number closed and given the same file again (dup2 of another fd of it) names the same
  // file: the kernel would resolve the same object too.
  expect(remember(w, slot, 8)).toBe(true);
  expect(c_dup2(b, slot)).toBe(slot);
  expect(w.check(tid, tid, slot)).toBe(8);
  expect(c_dup2(a, slot)).toBe(slot);
  expect(w.check(tid, tid, slot)).toBe(0);
  expect(c_dup2(b, slot)).toBe(slot);
  expect(w.check(tid, tid, slot)).toBe(0); // dropped at the miss, even though b's file is back
  w.close();
});

test('no witness is taken for a file the fd does not name', () => {
  const w = new FdWitnesses(8);
  const [, a] = pipe();
  const [, b] = pipe();
  const fileOfB = duplicate(b);
  expect(w.remember(tid, tid, a, fileOfB, 5)).toBe(false);
  sysClose(fileOfB);
  expect(w.check(tid, tid, a)).toBe(0);
  expect(w.size).toBe(0);
  w.close();
});

test('a full set makes room by dropping a witness that has not vouched since the last round', () => {
  const w = new FdWitnesses(2);
  const fds = [pipe()[1], pipe()[1], pipe()[1], pipe()[1]];
  expect(remember(w, fds[0], 100)).toBe(true);
  expect(remember(w, fds[1], 101)).toBe(true);
  expect(w.check(tid, tid, fds[0])).toBe(100); // in use: spared once
  expect(remember(w, fds[2], 102)).toBe(true);
  expect(w.size).toBe(2);
  expect(w.check(tid, tid, fds[1])).toBe(0);
  expect(w.check(tid, tid, fds[0])).toBe(100);
  expect(w.check(tid, tid, fds[2])).toBe(102);
  // Both in use now: the hand clears both and then takes the first it meets again.
  expect(remember(w, fds[3], 103)).toBe(true);
  expect(w.size).toBe(2);
  expect(w.check(tid, tid, fds[3])).toBe(103);
  expect(w.usable).toBe(true);
  w.close();
  expect(w.size).toBe(0);
});

test('a witness is worth taking from the second resolution of an fd on', () => {
  const w = new FdWitnesses(2);
  expect(w.worthTaking(1234, 7)).toBe(false);
  expect(w.worthTaking(1234, 7)).toBe(true);
  expect(w.worthTaking(1234, 8)).toBe(false);
  expect(w.worthTaking(1235, 7)).toBe(false);
  w.close();
});
