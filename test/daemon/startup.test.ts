// Start-up checks and the /proc parsers they rely on, without starting a daemon.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkNotKernelDevice, checkRequestTimeout, checkRoot } from '../../src/cuse/startup/preflight';
import { cuseDevName } from '../../src/cuse/startup/cuse-device';
import { devMajor, devMinor } from '../../src/cuse/startup/dev-numbers';
import { StartupError } from '../../src/cuse/startup/startup-error';
import { detachStaleMounts, prepareDeviceFile, takeLock } from '../../src/cuse/startup/stale';
import { silentLog } from '../../src/cuse/log';
import { miscMinor, parseMountInfo, parseStatusIds, readProcessIds, type MountEntry } from '../../src/sys/proc';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'ntsyncd-startup-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('root is required, with the fix in the message', () => {
  expect(() => checkRoot(1000)).toThrow(/must run as root.*sudo ntsyncd/);
  expect(() => checkRoot(0)).not.toThrow();
});

test('a FUSE request timeout stops the start', () => {
  writeFileSync(join(dir, 'default_request_timeout'), '0\n');
  writeFileSync(join(dir, 'max_request_timeout'), '0\n');
  writeFileSync(join(dir, 'max_pages_limit'), '256\n');
  expect(() => checkRequestTimeout(dir)).not.toThrow();
  writeFileSync(join(dir, 'max_request_timeout'), '30\n');
  expect(() => checkRequestTimeout(dir)).toThrow(StartupError);
  expect(() => checkRequestTimeout(dir)).toThrow(/max_request_timeout is 30.*sysctl fs\.fuse\.max_request_timeout=0/);
  // a kernel without the setting
  expect(() => checkRequestTimeout(join(dir, 'missing'))).not.toThrow();
});

test("the kernel's own ntsync node is refused, other paths and devices are not", () => {
  const misc = ' 229 fuse\n 123 ntsync\n 200 tun\n';
  expect(miscMinor('ntsync', misc)).toBe(123);
  expect(miscMinor('cuse', misc)).toBe(-1);
  const node = join(dir, 'ntsync');
  execFileSync('mknod', [node, 'c', '10', '123']);
  expect(() => checkNotKernelDevice(node, misc)).toThrow(/kernel's own ntsync driver \(misc device 10:123\).*--device/);
  expect(() => checkNotKernelDevice(node, ' 229 fuse\n')).not.toThrow();
  const other = join(dir, 'tun');
  execFileSync('mknod', [other, 'c', '10', '200']);
  expect(() => checkNotKernelDevice(other, misc)).not.toThrow();
  expect(() => checkNotKernelDevice(join(dir, 'absent'), misc)).not.toThrow();
});

test('dev_t numbers split as glibc does', () => {
  // makedev(10, 123) and makedev(259, 70000)
  expect([devMajor(0xa7b), devMinor(0xa7b)]).toEqual([10, 123]);
  const big = ((70000 & 0xff) | ((259 & 0xfff) << 8) | ((70000 & ~0xff) << 12)) >>> 0;
  expect([devMajor(big), devMinor(big)]).toEqual([259, 70000]);
});

test('the device path takes an empty regular file, never anything else', () => {
  const path = join(dir, 'dev');
  prepareDeviceFile(path);
  prepareDeviceFile(path); // a leftover empty file is reused
  writeFileSync(join(dir, 'full'), 'data');
  expect(() => prepareDeviceFile(join(dir, 'full'))).toThrow(/refusing to cover .*full: it exists and is not an empty regular file/);
  mkdirSync(join(dir, 'sub'));
  expect(() => prepareDeviceFile(join(dir, 'sub'))).toThrow(StartupError);
});

test('CUSE device names come from paths below /dev', () => {
  expect(cuseDevName('/dev/ntsync')).toBe('ntsync');
  expect(cuseDevName('/dev/misc/ntsync')).toBe('misc/ntsync');
  expect(cuseDevName('/tmp/ntsync')).toBeNull();
  expect(cuseDevName('/dev/../etc/x')).toBeNull();
  expect(cuseDevName('/dev/')).toBeNull();
});

test('mountinfo lines, with escapes', () => {
  const text =
    '42 27 0:39 / /run/ntsync rw,nosuid,nodev,relatime - fuse.ntsync ntsyncd:/run/ntsync rw,user_id=0,group_id=0,allow_other\n' +
    '43 27 0:39 /device /dev/ntsync rw,nosuid shared:5 - fuse.ntsync ntsyncd:/run/ntsync rw\n' +
    '44 27 8:1 / /mnt/with\\040space rw - ext4 /dev/sda1 rw\n';
  const entries = parseMountInfo(text);
  expect(entries).toEqual([
    { mountId: 42, parentId: 27, devMajor: 0, devMinor: 39, root: '/', mountPoint: '/run/ntsync', fsType: 'fuse.ntsync', source: 'ntsyncd:/run/ntsync' },
    { mountId: 43, parentId: 27, devMajor: 0, devMinor: 39, root: '/device', mountPoint: '/dev/ntsync', fsType: 'fuse.ntsync', source: 'ntsyncd:/run/ntsync' },
    { mountId: 44, parentId: 27, devMajor: 8, devMinor: 1, root: '/', mountPoint: '/mnt/with space', fsType: 'ext4', source: '/dev/sda1' },
  ]);
});

test('Tgid and PPid from /proc/<pid>/status', () => {
  const bytes = (s: string) => Buffer.from(s, 'latin1');
  const text = 'Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t120\nNgid:\t0\nPid:\t121\nPPid:\t7\n';
  expect(parseStatusIds(bytes(text), text.length)).toEqual({ tgid: 120, ppid: 7 });
  expect(parseStatusIds(bytes(text), text.indexOf('PPid') + 6)).toBeNull(); // cut before the value
  expect(parseStatusIds(bytes('Name:\tx\n'), 8)).toBeNull();
  // a process name cannot fake a field: the kernel escapes newlines in it
  const tricky = 'Name:\tTgid:\t1\nUmask:\t0022\nTgid:\t55\nPPid:\t9\n';
  expect(parseStatusIds(bytes(tricky), tricky.length)).toEqual({ tgid: 55, ppid: 9 });
  expect(readProcessIds(process.pid)).toEqual({ tgid: process.pid, ppid: process.ppid });
  expect(readProcessIds(0x3fffffff)).toBeNull();
});

test('a mount at the device path that belongs to a live daemon of another mount stops the start', () => {
  // The other daemon's lock is held by this very process, as a live daemon would hold it.
  const other = join(dir, 'other-objects');
  const fd = takeLock(other);
  const mounts: MountEntry[] = [
    { mountId: 50, parentId: 1, devMajor: 0, devMinor: 60, root: '/device', mountPoint: '/x/dev', fsType: 'fuse.ntsync', source: `ntsyncd:${other}` },
  ];
  try {
    expect(() => detachStaleMounts('/x/objects', '/x/dev', silentLog, () => mounts)).toThrow(
      `/x/dev is served by another running ntsyncd (object mount ${other}); stop it first, or use another --device`,
    );
  } finally {
    closeSync(fd);
  }
});
