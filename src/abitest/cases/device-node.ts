// Section 1 (the device node and its file operations), section 3 (what makes an ioctl number)
// and section 12 (numbers of older revisions that must not be taken for today's).
import { statSync } from 'node:fs';
import { EBADF, EINVAL, ENOTTY } from '../../core/errno';
import {
  NTSYNC_IOC_CREATE_EVENT,
  NTSYNC_IOC_CREATE_MUTEX,
  NTSYNC_IOC_CREATE_SEM,
  NTSYNC_IOC_EVENT_PULSE,
  NTSYNC_IOC_EVENT_READ,
  NTSYNC_IOC_EVENT_RESET,
  NTSYNC_IOC_EVENT_SET,
  NTSYNC_IOC_MUTEX_KILL,
  NTSYNC_IOC_MUTEX_READ,
  NTSYNC_IOC_MUTEX_UNLOCK,
  NTSYNC_IOC_SEM_READ,
  NTSYNC_IOC_SEM_RELEASE,
  NTSYNC_IOC_WAIT_ALL,
  NTSYNC_IOC_WAIT_ANY,
} from '../../ioctl/numbers';
import { ior, iow, iowr } from '../../ioctl/ioc';
import { section, type AbiCase } from '../framework/abi-case';
import type { CaseContext } from '../framework/context';
import { expectEqual, expectErrno, expectReturn, expectSuccess } from '../framework/expect';
import {
  FD_CLOEXEC,
  FIOCLEX,
  FIOASYNC,
  FIONBIO,
  FIONREAD,
  FIONCLEX,
  F_GETFD,
  F_GETFL,
  O_NONBLOCK,
  O_CLOEXEC,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  POLLIN,
  POLLOUT,
  POLLPRI,
  POLLRDBAND,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
  SEEK_CUR,
  SEEK_SET,
} from '../sys/native';
import { expectWait } from './helpers';

const s1 = section('1');
const s3 = section('3');
const s12 = section('12');

const ESPIPE = 29;
/** POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM: the VFS's answer for a file without a poll method. */
const DEFAULT_POLL_MASK = 0x145;

export const OBJECT_IOCTLS: ReadonlyArray<[string, number]> = [
  ['SEM_RELEASE', NTSYNC_IOC_SEM_RELEASE],
  ['MUTEX_UNLOCK', NTSYNC_IOC_MUTEX_UNLOCK],
  ['MUTEX_KILL', NTSYNC_IOC_MUTEX_KILL],
  ['EVENT_SET', NTSYNC_IOC_EVENT_SET],
  ['EVENT_RESET', NTSYNC_IOC_EVENT_RESET],
  ['EVENT_PULSE', NTSYNC_IOC_EVENT_PULSE],
  ['SEM_READ', NTSYNC_IOC_SEM_READ],
  ['MUTEX_READ', NTSYNC_IOC_MUTEX_READ],
  ['EVENT_READ', NTSYNC_IOC_EVENT_READ],
];
export const DEVICE_IOCTLS: ReadonlyArray<[string, number]> = [
  ['CREATE_SEM', NTSYNC_IOC_CREATE_SEM],
  ['WAIT_ANY', NTSYNC_IOC_WAIT_ANY],
  ['WAIT_ALL', NTSYNC_IOC_WAIT_ALL],
  ['CREATE_MUTEX', NTSYNC_IOC_CREATE_MUTEX],
  ['CREATE_EVENT', NTSYNC_IOC_CREATE_EVENT],
];

/** One object of each kind on `dev`, labelled. */
function oneOfEach(t: CaseContext, dev: number): Array<[string, number]> {
  return [
    ['semaphore', t.sem(dev, 1, 2)],
    ['mutex', t.mutex(dev, 0, 0)],
    ['event', t.event(dev, false, false)],
  ];
}

/** A zeroed, valid 64-byte argument buffer, big enough for every ntsync struct. */
const argBuffer = (t: CaseContext) => t.mem.alloc(64);

export const deviceNodeCases: AbiCase[] = [
  s1('node-mode-is-0666', 'The device node is mode 0666 (since 6.14-rc).', (t) => {
    const mode = statSync(t.devicePath).mode & 0o7777;
    expectEqual(`0${mode.toString(8)}`, '0666', `mode of ${t.devicePath}`);
  }, { corners: [27] }),

  s1('each-open-is-an-isolated-instance', 'Each open() is a new instance; no object is shared between instances.', (t) => {
    const a = t.openDevice();
    const b = t.openDevice();
    const semA = t.sem(a, 1, 1);
    const semB = t.sem(b, 1, 1);
    expectWait(t, 'any', b, { objs: [semA] }, -EINVAL, undefined, "on instance B with instance A's semaphore");
    expectWait(t, 'all', b, { objs: [semA] }, -EINVAL, undefined, "on instance B with instance A's semaphore");
    expectWait(t, 'any', a, { objs: [semB] }, -EINVAL, undefined, "on instance A with instance B's semaphore");
    expectWait(t, 'any', a, { objs: [semA] }, 0, 0, 'on instance A with its own semaphore');
    expectWait(t, 'any', b, { objs: [semB] }, 0, 0, 'on instance B with its own semaphore');
  }, { corners: [27, 18] }),

  s1('open-access-mode-is-not-checked', 'O_RDONLY, O_WRONLY and O_RDWR opens can all create, modify and wait.', (t) => {
    for (const [name, flags] of [['O_RDONLY', O_RDONLY], ['O_WRONLY', O_WRONLY], ['O_RDWR', O_RDWR]] as const) {
      const dev = t.openDevice(flags | O_CLOEXEC);
      const sem = t.sem(dev, 0, 2);
      const mutex = t.mutex(dev, 5, 1);
      const event = t.event(dev, true, false);
      expectReturn(t.nt.semRelease(sem, 1).ret, 0, `SEM_RELEASE on an object of an ${name} device`);
      expectReturn(t.nt.mutexUnlock(mutex, 5).ret, 0, `MUTEX_UNLOCK on an object of an ${name} device`);
      expectReturn(t.nt.eventSet(event).ret, 0, `EVENT_SET on an object of an ${name} device`);
      expectWait(t, 'all', dev, { objs: [sem, mutex, event], owner: 9 }, 0, 0, `through an ${name} device`);
    }
  }, { corners: [27] }),

  s1('lseek-is-ESPIPE', 'The device and objects are not seekable: lseek gives ESPIPE.', (t) => {
    const dev = t.openDevice();
    const targets: Array<[string, number]> = [['the device', dev], ...oneOfEach(t, dev)];
    for (const [what, fd] of targets) {
      expectErrno(t.sys.lseek(fd, 0, SEEK_SET), ESPIPE, `lseek(SEEK_SET) on ${what}`);
      expectErrno(t.sys.lseek(fd, 0, SEEK_CUR), ESPIPE, `lseek(SEEK_CUR) on ${what}`);
    }
  }),

  s1('read-is-EINVAL', 'Neither the device nor objects implement read: EINVAL.', (t) => {
    const dev = t.openDevice(O_RDWR | O_CLOEXEC);
    const buf = argBuffer(t);
    for (const [what, fd] of [['the device', dev], ...oneOfEach(t, dev)] as Array<[string, number]>) {
      expectErrno(t.sys.read(fd, buf, 8), EINVAL, `read() on ${what}`);
    }
  }),

  s1('write-to-a-read-only-device-is-EBADF', 'write on a device opened O_RDONLY: EBADF (the VFS refuses first).', (t) => {
    const dev = t.openDevice(O_RDONLY | O_CLOEXEC);
    expectErrno(t.sys.write(dev, argBuffer(t), 8), EBADF, 'write() on an O_RDONLY device fd');
  }),

  s1('write-to-a-writable-device-is-EINVAL', 'write on a device opened for writing: EINVAL (no write method).', (t) => {
    for (const flags of [O_WRONLY, O_RDWR]) {
      const dev = t.openDevice(flags | O_CLOEXEC);
      expectErrno(t.sys.write(dev, argBuffer(t), 8), EINVAL, `write() on an ${flags === O_WRONLY ? 'O_WRONLY' : 'O_RDWR'} device fd`);
    }
  }),

  s1('write-to-an-object-is-EINVAL', 'Objects are O_RDWR without a write method: write gives EINVAL.', (t) => {
    const dev = t.openDevice();
    for (const [what, fd] of oneOfEach(t, dev)) expectErrno(t.sys.write(fd, argBuffer(t), 8), EINVAL, `write() on a ${what}`);
  }),

  s1('poll-reports-the-default-mask', 'poll on the device or an object returns 1 with revents 0x145 (the VFS default).', (t) => {
    const dev = t.openDevice();
    const asked = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND;
    for (const [what, fd] of [['the device', dev], ...oneOfEach(t, dev)] as Array<[string, number]>) {
      const pfd = t.mem.alloc(8);
      t.mem.setI32(pfd, fd);
      t.mem.setU16(pfd + 4, asked);
      expectReturn(t.sys.poll(pfd, 1, 0), 1, `poll() on ${what}`);
      expectEqual(`0x${t.mem.getU16(pfd + 6).toString(16)}`, `0x${DEFAULT_POLL_MASK.toString(16)}`, `revents of ${what}`);
    }
  }),

  s1('unknown-ioctl-is-ENOTTY', 'An unknown ioctl number, on the device or an object, gives ENOTTY.', (t) => {
    const dev = t.openDevice();
    const unknown: Array<[string, number]> = [
      ["'N' 0x7f", iowr(0x4e, 0x7f, 8)],
      ["'N' 0x8e", iowr(0x4e, 0x8e, 8)],
      ["'N' 0x8f", iow(0x4e, 0x8f, 4)],
      ["'M' 0x80", iow(0x4d, 0x80, 8)],
      ['0', 0],
    ];
    for (const [what, fd] of [['the device', dev], ...oneOfEach(t, dev)] as Array<[string, number]>) {
      for (const [name, cmd] of unknown) expectErrno(t.nt.ioctl(fd, cmd, argBuffer(t)), ENOTTY, `ioctl ${name} on ${what}`);
    }
  }, { corners: [26] }),

  s1('object-ioctls-on-the-device-are-ENOTTY', 'Object ioctls sent to the device fd give ENOTTY.', (t) => {
    const dev = t.openDevice();
    for (const [name, cmd] of OBJECT_IOCTLS) expectErrno(t.nt.ioctl(dev, cmd, argBuffer(t)), ENOTTY, `${name} on the device fd`);
  }, { corners: [26] }),

  s1('device-ioctls-on-objects-are-ENOTTY', 'Device ioctls (CREATE_*, WAIT_*) sent to an object fd give ENOTTY.', (t) => {
    const dev = t.openDevice();
    for (const [what, fd] of oneOfEach(t, dev)) {
      for (const [name, cmd] of DEVICE_IOCTLS) {
        const arg = argBuffer(t);
        // A plausible argument for each: {1, 1} for the creates, an empty poll for the waits.
        t.mem.setU32(arg, 1);
        t.mem.setU32(arg + 4, 1);
        const r = t.nt.ioctl(fd, cmd, arg);
        if (r >= 0 && (cmd === NTSYNC_IOC_CREATE_SEM || cmd === NTSYNC_IOC_CREATE_MUTEX || cmd === NTSYNC_IOC_CREATE_EVENT)) t.track(r);
        expectErrno(r, ENOTTY, `${name} on a ${what} fd`);
      }
    }
  }, { corners: [26] }),

  s1('vfs-ioctls-are-handled-before-the-driver', 'FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC are answered by the VFS on the device and on objects (FIOASYNC on is ENOTTY: no fasync method).', (t) => {
    const dev = t.openDevice();
    for (const [what, fd] of [['the device', dev], ...oneOfEach(t, dev)] as Array<[string, number]>) {
      for (const on of [1, 0]) {
        const arg = t.mem.alloc(4);
        t.mem.setU32(arg, on);
        expectReturn(t.nt.ioctl(fd, FIONBIO, arg), 0, `FIONBIO ${on} on ${what}`);
        const fl = expectSuccess(t.sys.fcntl(fd, F_GETFL, 0), 'F_GETFL');
        expectEqual(fl & O_NONBLOCK, on ? O_NONBLOCK : 0, `O_NONBLOCK of ${what} after FIONBIO ${on}`);
      }
      const async = t.mem.alloc(4);
      t.mem.setU32(async, 1);
      expectErrno(t.nt.ioctl(fd, FIOASYNC, async), ENOTTY, `FIOASYNC 1 on ${what}`);
      t.mem.setU32(async, 0);
      expectReturn(t.nt.ioctl(fd, FIOASYNC, async), 0, `FIOASYNC 0 on ${what}`);
      expectReturn(t.nt.ioctl(fd, FIONCLEX, 0), 0, `FIONCLEX on ${what}`);
      expectEqual(expectSuccess(t.sys.fcntl(fd, F_GETFD, 0), 'F_GETFD') & FD_CLOEXEC, 0, `FD_CLOEXEC of ${what} after FIONCLEX`);
      expectReturn(t.nt.ioctl(fd, FIOCLEX, 0), 0, `FIOCLEX on ${what}`);
      expectEqual(expectSuccess(t.sys.fcntl(fd, F_GETFD, 0), 'F_GETFD') & FD_CLOEXEC, FD_CLOEXEC, `FD_CLOEXEC of ${what} after FIOCLEX`);
    }
  }),

  s1('fionread-is-ENOTTY', 'FIONREAD is only a VFS ioctl for regular files: on the device and on objects it reaches the driver, which gives ENOTTY.', (t) => {
    const dev = t.openDevice();
    for (const [what, fd] of [['the device', dev], ...oneOfEach(t, dev)] as Array<[string, number]>) {
      const arg = t.mem.alloc(4);
      t.mem.setU32(arg, 0xa5a5a5a5);
      expectErrno(t.nt.ioctl(fd, FIONREAD, arg), ENOTTY, `FIONREAD on ${what}`);
    }
  }, { corners: [26] }),

  s3('another-size-or-direction-is-another-number', 'Only the exact _IOC numbers are ntsync ioctls: the same nr with another size or direction gives ENOTTY.', (t) => {
    const dev = t.openDevice();
    const sem = t.sem(dev, 1, 1);
    const onDevice: Array<[string, number]> = [
      ['CREATE_SEM as _IOWR', iowr(0x4e, 0x80, 8)],
      ['CREATE_SEM with size 16', iow(0x4e, 0x80, 16)],
      ['CREATE_EVENT as _IOR', ior(0x4e, 0x87, 8)],
      ['WAIT_ANY as _IOW', iow(0x4e, 0x82, 40)],
      ['WAIT_ALL with size 48', iowr(0x4e, 0x83, 48)],
    ];
    for (const [name, cmd] of onDevice) {
      const r = t.nt.ioctl(dev, cmd, argBuffer(t));
      if (r >= 0 && name.startsWith('CREATE')) t.track(r);
      expectErrno(r, ENOTTY, `${name} (0x${cmd.toString(16)}) on the device`);
    }
    const onObject: Array<[string, number]> = [
      ['SEM_RELEASE as _IOW', iow(0x4e, 0x81, 4)],
      ['SEM_READ with size 4', ior(0x4e, 0x8b, 4)],
      ['SEM_READ as _IOWR', iowr(0x4e, 0x8b, 8)],
    ];
    for (const [name, cmd] of onObject) expectErrno(t.nt.ioctl(sem, cmd, argBuffer(t)), ENOTTY, `${name} (0x${cmd.toString(16)}) on a semaphore`);
  }, { corners: [26] }),

  s3('bits-above-32-of-cmd-are-ignored', 'ioctl cmd is an unsigned int: bits above 32 are dropped and the ioctl works.', (t) => {
    const dev = t.openDevice();
    const high = 0xffffffff_00000000n;
    const arg = argBuffer(t);
    t.mem.setU32(arg, 2);
    t.mem.setU32(arg + 4, 3);
    const sem = t.track(expectSuccess(t.nt.ioctl(dev, high | BigInt(NTSYNC_IOC_CREATE_SEM), arg), 'CREATE_SEM with bits set above 32'));
    const out = argBuffer(t);
    expectReturn(t.nt.ioctl(sem, high | BigInt(NTSYNC_IOC_SEM_READ), out), 0, 'SEM_READ with bits set above 32');
    expectEqual(t.mem.getU32(out), 2, 'count read back');
    expectEqual(t.mem.getU32(out + 4), 3, 'max read back');
  }),

  s12('the-6.10-create-sem-number-is-unknown', 'The 6.10 CREATE_SEM (_IOWR, 12 bytes, 0xC00C4E80) is not an ioctl of today\'s ABI: ENOTTY.', (t) => {
    const dev = t.openDevice();
    const arg = argBuffer(t);
    t.mem.setU32(arg + 4, 1); // {sem, count 1, max 1} in the old layout
    t.mem.setU32(arg + 8, 1);
    const r = t.nt.ioctl(dev, 0xc00c4e80, arg);
    if (r >= 0) t.track(r);
    expectErrno(r, ENOTTY, 'ioctl 0xC00C4E80 on the device');
    expectEqual(t.mem.getU32(arg), 0, 'the old "sem" output field (must be left alone)');
  }, { corners: [26] }),
];
