// Main paths of the dispatcher; the 27 corner cases are in test/ioctl/corner-cases.test.ts.
import { Engine } from '../../src/core/engine';
import { Dispatcher, PENDING, type Caller } from '../../src/ioctl/dispatch';
import * as N from '../../src/ioctl/numbers';
import { encodeSemArgs, encodeWaitArgs, decodeWaitArgs } from '../../src/ioctl/structs';
import { EFAULT, ENOTTY, ETIMEDOUT } from '../../src/core/errno';
import { TIMEOUT_INFINITE } from '../../src/core/types';

function setup() {
  const engine = new Engine<number>();
  const d = new Dispatcher<number>(engine, () => 100n);
  const dev = engine.openDevice();
  const fds = new Map<number, number>();
  const mem = new Map<bigint, Uint8Array>();
  const caller: Caller = {
    readMemory(pointer, at, len, into) {
      const m = mem.get(new DataView(pointer.buffer, pointer.byteOffset + at, 8).getBigUint64(0, true));
      if (!m || m.length < len) return -EFAULT;
      into.set(m.subarray(0, len));
      return 0;
    },
    resolveFd: (fd) => fds.get(fd) ?? 0,
  };
  return { engine, d, dev, fds, mem, caller, out: new Uint8Array(64) };
}

test('semaphore create, wait poll, release wakes a pending wait with its index written', () => {
  const { d, dev, fds, mem, caller, out } = setup();
  const sem = d.deviceIoctl(dev, N.NTSYNC_IOC_CREATE_SEM, encodeSemArgs({ count: 0, max: 5 }), out, caller, 1);
  expect(sem).toBeGreaterThan(0);
  expect(d.outLength).toBe(0);
  fds.set(7, sem);
  mem.set(0x1000n, new Uint8Array(new Int32Array([99, 7]).buffer));
  const args = { timeout: 0n, objs: 0x1000n, count: 2, index: 0xdead, flags: 0, owner: 5, alert: 0, pad: 0 };
  expect(d.deviceIoctl(dev, N.NTSYNC_IOC_WAIT_ANY, encodeWaitArgs(args), out, caller, 2)).toBe(-22);
  mem.set(0x1000n, new Uint8Array(new Int32Array([7, 7]).buffer));
  expect(d.deviceIoctl(dev, N.NTSYNC_IOC_WAIT_ANY, encodeWaitArgs(args), out, caller, 2)).toBe(-ETIMEDOUT);
  expect(d.outLength).toBe(0);
  const r = d.deviceIoctl(dev, N.NTSYNC_IOC_WAIT_ANY, encodeWaitArgs({ ...args, timeout: TIMEOUT_INFINITE }), out, caller, 3);
  expect(r).toBe(PENDING);
  const wait = d.pending!;
  const rel = new Uint8Array(4);
  rel[0] = 2;
  expect(d.objectIoctl(sem, N.NTSYNC_IOC_SEM_RELEASE, rel, out)).toBe(0);
  expect(out[0]).toBe(0);
  expect(d.engine.woken).toEqual([wait]);
  expect(d.completeWait(wait, out)).toBe(0);
  const back = decodeWaitArgs(new Uint8Array([...out.subarray(0, d.outLength), ...new Uint8Array(40 - d.outLength)]));
  expect(back.timeout).toBe(TIMEOUT_INFINITE);
  expect(back.objs).toBe(0x1000n);
  expect(back.index).toBe(0);
  expect(d.objectIoctl(sem, N.NTSYNC_IOC_EVENT_SET, rel, out)).toBe(-22);
  expect(d.objectIoctl(sem, N.NTSYNC_IOC_WAIT_ANY, rel, out)).toBe(-ENOTTY);
  expect(d.deviceIoctl(dev, N.NTSYNC_IOC_SEM_RELEASE, rel, out, caller, 0)).toBe(-ENOTTY);
});

test('unreadable objs is EFAULT after the struct checks', () => {
  const { d, dev, caller, out } = setup();
  const args = { timeout: 0n, objs: 0x2000n, count: 1, index: 0, flags: 0, owner: 5, alert: 0, pad: 0 };
  expect(d.deviceIoctl(dev, N.NTSYNC_IOC_WAIT_ALL, encodeWaitArgs(args), out, caller, 0)).toBe(-EFAULT);
  expect(d.deviceIoctl(dev, N.NTSYNC_IOC_WAIT_ALL, encodeWaitArgs({ ...args, pad: 1 }), out, caller, 0)).toBe(-22);
  expect(d.deviceIoctl(dev, N.NTSYNC_IOC_WAIT_ALL, encodeWaitArgs({ ...args, count: 0 }), out, caller, 0)).toBe(0);
});
