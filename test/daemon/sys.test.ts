// The daemon's own syscall wrappers: caller memory, caller fds, the deadline timer.
import { spawn } from 'node:child_process';
import { openSync, closeSync, fstatSync } from 'node:fs';
import { koffi } from '../../src/sys/libc';
import { ProcessMemoryReader } from '../../src/sys/process-memory';
import { ProcFdStat } from '../../src/sys/statx';
import { AbsoluteTimer, CLOCK_MONOTONIC } from '../../src/sys/timerfd';
import { PollSet } from '../../src/sys/ppoll';
import { devMajor, devMinor } from '../../src/cuse/startup/dev-numbers';

test('process_vm_readv copies exactly, and reports unreadable ranges as EFAULT', () => {
  const size = 10000;
  const native = koffi.alloc('uint8_t', size);
  const view = new Uint8Array(koffi.view(native, size));
  for (let i = 0; i < size; i++) view[i] = (i * 7) & 0xff;
  const reader = new ProcessMemoryReader(512); // smaller than the read: goes in chunks
  const into = new Uint8Array(size);
  expect(reader.read(process.pid, koffi.address(native), size, into)).toBe(0);
  expect(into).toEqual(view);
  expect(reader.read(process.pid, 16n, 4, into)).toBe(-14);
  expect(reader.read(0x7fffffff, koffi.address(native), 4, into)).toBe(-3); // ESRCH
  // The split-address form the wait path uses: the same bytes, and the high word really counts.
  const address = koffi.address(native) + 1000n;
  const part = new Uint8Array(2000);
  expect(reader.readAt(process.pid, Number(address & 0xffffffffn), Number(address >> 32n), 2000, part)).toBe(0);
  expect(part).toEqual(view.subarray(1000, 3000));
  expect(reader.readAt(process.pid, Number(address & 0xffffffffn), Number(address >> 32n) + 0x8000, 4, part)).toBe(-14);
  // The address as it sits in a struct (little-endian u64), as a wait passes it.
  const struct = new Uint8Array(24);
  new DataView(struct.buffer).setBigUint64(8, address, true);
  const fromStruct = new Uint8Array(2000);
  expect(reader.readAtPointer(process.pid, struct, 8, 2000, fromStruct)).toBe(0);
  expect(fromStruct).toEqual(view.subarray(1000, 3000));
  new DataView(struct.buffer).setBigUint64(8, 16n, true);
  expect(reader.readAtPointer(process.pid, struct, 8, 4, fromStruct)).toBe(-14);
});

test("a caller's fd resolves to its file's device and inode, and a gone process's never does", async () => {
  const fd = openSync('/etc/hostname', 'r');
  const st = fstatSync(fd);
  const stat = new ProcFdStat();
  try {
    expect(stat.stat(process.pid, fd)).toBe(0);
    expect([stat.devMajor, stat.devMinor, stat.ino]).toEqual([devMajor(st.dev), devMinor(st.dev), st.ino]);
    expect(stat.stat(process.pid, fd)).toBe(0); // through the kept directory
    expect(stat.stat(process.pid, 987654)).toBe(-2);
    closeSync(fd);
    // the number may already name another file of this process, never the closed one
    expect(stat.stat(process.pid, fd) !== 0 || stat.ino !== st.ino).toBe(true);

    const child = spawn('sleep', ['10'], { stdio: ['pipe', 'ignore', 'ignore'] });
    await new Promise((r) => child.once('spawn', r));
    expect(stat.stat(child.pid!, 0)).toBe(0);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(stat.stat(child.pid!, 0)).toBeLessThan(0);
  } finally {
    stat.close();
  }
});

test('the absolute timer fires at its deadline, not before, and a past deadline at once', () => {
  const timer = new AbsoluteTimer(CLOCK_MONOTONIC);
  const set = new PollSet(1);
  set.add(timer.fd);
  try {
    const deadline = process.hrtime.bigint() + 30_000_000n;
    timer.arm(deadline);
    expect(set.wait(0)).toBe(0);
    expect(set.wait(5_000_000_000)).toBe(1);
    expect(process.hrtime.bigint()).toBeGreaterThanOrEqual(deadline);
    timer.acknowledge();
    expect(set.wait(0)).toBe(0);
    timer.arm(1n);
    expect(set.wait(1_000_000_000)).toBe(1);
    timer.acknowledge();
    timer.arm(process.hrtime.bigint() + 10_000_000n);
    timer.disarm();
    expect(set.wait(50_000_000)).toBe(0);
  } finally {
    timer.close();
  }
});
