// The request handlers without a kernel: synthetic requests go into a Session whose fd is the
// write end of a pipe, and the replies are read back from the other end. This covers the
// conversation a kernel would have with the daemon, and random requests, which must never
// make it throw or write a malformed reply.
import fc from 'fast-check';
import { libc } from '../../src/sys/libc';
import { readInto } from '../../src/sys/raw-io';
import { sysClose } from '../../src/sys/io';
import { NtsyncServer } from '../../src/cuse/server';
import { Session } from '../../src/cuse/session';
import { silentLog, type Log } from '../../src/cuse/log';
import { io, ior, iow, iowr } from '../../src/ioctl/ioc';
import { NTSYNCD_IOC_CREATE, NTSYNCD_IOC_CUSE_DEVICE, NTSYNCD_IOC_REGISTER } from '../../src/ioctl/control';
import { NTSYNC_IOC_CREATE_SEM, NTSYNC_IOC_SEM_READ, NTSYNC_IOC_SEM_RELEASE, NTSYNC_IOC_WAIT_ANY } from '../../src/ioctl/numbers';

const c_pipe2 = libc.func('int pipe2(_Out_ int *fds, int flags)');
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

interface Reply {
  len: number;
  error: number;
  unique: bigint;
  payload: Uint8Array;
}

/** A session writing its replies into a pipe, and a reader that splits them. */
class Harness {
  readonly server: NtsyncServer;
  readonly session: Session;
  private readonly readFd: number;
  private nextUnique = 2;
  readonly closed: Session[] = [];
  readonly logged: string[] = [];

  constructor(log?: Log) {
    const fds = [0, 0];
    if (c_pipe2(fds, O_NONBLOCK | O_CLOEXEC) !== 0) throw new Error('pipe2 failed');
    this.readFd = fds[0];
    this.session = new Session(fds[1], 'fuse');
    const collect = (m: string) => this.logged.push(m);
    this.server = new NtsyncServer({
      log: log ?? { ...silentLog, error: collect, warn: collect },
      events: { fuseReady() {}, cuseReady() {}, sessionClosed: (s) => this.closed.push(s) },
    });
  }

  close(): void {
    this.session.close();
    sysClose(this.readFd);
    this.server.pending.close();
  }

  /** Puts a request (header + body) into the read buffer and lets the server handle it. */
  send(opcode: number, nodeid: number, body: Uint8Array, pid = process.pid, unique = this.take()): number {
    const buf = this.session.readBuf;
    const len = 40 + body.length;
    const v = new DataView(buf.buffer, buf.byteOffset);
    v.setUint32(0, len, true);
    v.setUint32(4, opcode, true);
    v.setBigUint64(8, BigInt(unique), true);
    v.setBigUint64(16, BigInt(nodeid), true);
    v.setUint32(24, 0, true);
    v.setUint32(28, 0, true);
    v.setUint32(32, pid, true);
    v.setUint32(36, 0, true);
    buf.set(body, 40);
    this.server.handle(this.session, len);
    return unique;
  }

  take(): number {
    const u = this.nextUnique;
    this.nextUnique += 2;
    return u;
  }

  replies(): Reply[] {
    const chunk = new Uint8Array(65536);
    const all: number[] = [];
    for (;;) {
      const n = readInto(this.readFd, chunk, chunk.length);
      if (n <= 0) break;
      for (let i = 0; i < n; i++) all.push(chunk[i]);
    }
    const bytes = Uint8Array.from(all);
    const v = new DataView(bytes.buffer);
    const out: Reply[] = [];
    for (let at = 0; at < bytes.length; ) {
      const len = v.getUint32(at, true);
      if (len < 16 || at + len > bytes.length) throw new Error(`malformed reply stream at ${at}: len ${len}`);
      out.push({ len, error: v.getInt32(at + 4, true), unique: v.getBigUint64(at + 8, true), payload: bytes.slice(at + 16, at + len) });
      at += len;
    }
    return out;
  }

  one(): Reply {
    const r = this.replies();
    if (r.length !== 1) throw new Error(`expected one reply, got ${r.length}`);
    return r[0];
  }
}

function body(size: number, fill: (v: DataView) => void = () => {}): Uint8Array {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  return b;
}

const name = (s: string) => Uint8Array.from([...Buffer.from(s), 0]);
const u32 = (p: Uint8Array, off: number) => new DataView(p.buffer, p.byteOffset).getUint32(off, true);
const i32 = (p: Uint8Array, off: number) => new DataView(p.buffer, p.byteOffset).getInt32(off, true);
const u64 = (p: Uint8Array, off: number) => Number(new DataView(p.buffer, p.byteOffset).getBigUint64(off, true));

function ioctlBody(fh: number, cmd: number, inData: Uint8Array, outSize: number): Uint8Array {
  const b = body(32 + inData.length, (v) => {
    v.setBigUint64(0, BigInt(fh), true);
    v.setUint32(12, cmd, true);
    v.setUint32(24, inData.length, true);
    v.setUint32(28, outSize, true);
  });
  b.set(inData, 32);
  return b;
}

/** fuse_ioctl_out.result and the out-data of an ioctl reply. */
function ioctlResult(r: Reply): { result: number; data: Uint8Array } {
  expect(r.error).toBe(0);
  return { result: i32(r.payload, 0), data: r.payload.slice(16) };
}

const INIT = 26;
const LOOKUP = 1;
const OPEN = 14;
const IOCTL = 39;
const RELEASE = 18;
const INTERRUPT = 36;
const FORGET = 2;

function init(h: Harness): void {
  h.send(INIT, 0, body(64, (v) => (v.setUint32(0, 7, true), v.setUint32(4, 45, true), v.setUint32(8, 131072, true))));
  const r = h.one();
  expect(r.error).toBe(0);
  expect(r.len).toBe(80);
  expect([u32(r.payload, 0), u32(r.payload, 4), u32(r.payload, 12), u32(r.payload, 20)]).toEqual([7, 38, 0, 4096]);
}

function lookup(h: Harness, n: string): Reply {
  h.send(LOOKUP, 1, name(n));
  return h.one();
}

function open(h: Harness, nodeid: number, pid = process.pid): Reply {
  h.send(OPEN, nodeid, body(8), pid);
  return h.one();
}

function release(h: Harness, fh: number): void {
  h.send(RELEASE, 0, body(24, (v) => v.setBigUint64(0, BigInt(fh), true)), 0);
  expect(h.one().error).toBe(0);
}

function waitArgs(timeout: bigint, count = 0): Uint8Array {
  return body(40, (v) => {
    v.setBigUint64(0, timeout, true);
    v.setUint32(16, count, true);
    v.setUint32(28, 1, true); // owner
  });
}

describe('a conversation with the kernel', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
    init(h);
  });
  afterEach(() => h.close());

  function supervisorAndDevice(): { control: number; device: number } {
    const control = u64(open(h, u64(lookup(h, 'control').payload, 0)).payload, 0);
    h.send(IOCTL, 3, ioctlBody(control, NTSYNCD_IOC_REGISTER, new Uint8Array(0), 0));
    expect(ioctlResult(h.one()).result).toBe(0);
    const dev = open(h, 2);
    expect(dev.error).toBe(0);
    return { control, device: u64(dev.payload, 0) };
  }

  function createSem(device: number, count: number, max: number): number {
    const args = body(24, (v) => (v.setUint32(0, 1, true), v.setUint32(4, count, true), v.setUint32(8, max, true)));
    h.send(IOCTL, 2, ioctlBody(device, NTSYNCD_IOC_CREATE, args, 24));
    const { result, data } = ioctlResult(h.one());
    expect(result).toBe(0);
    expect(data.length).toBe(24);
    return u64(data, 16);
  }

  test('the namespace: device and control are cached, objects are not', () => {
    const dev = lookup(h, 'device');
    expect([u64(dev.payload, 0), u64(dev.payload, 16), u64(dev.payload, 24)]).toEqual([2, 86400, 86400]);
    expect(u32(dev.payload, 40 + 60)).toBe(0o100666);
    expect(lookup(h, 'nonsense').error).toBe(-2);
    expect(lookup(h, '0').error).toBe(-2);
    expect(lookup(h, '00017').error).toBe(-2);
    h.send(3, 1, body(16)); // GETATTR of the root
    expect(u32(h.one().payload, 16 + 60)).toBe(0o040755);
    h.send(LOOKUP, 2, name('x'));
    expect(h.one().error).toBe(-20); // ENOTDIR
    expect(open(h, 1).error).toBe(-21); // EISDIR
  });

  test('opens set direct I/O, non-seekable and no-flush', () => {
    const r = open(h, 3);
    expect(r.error).toBe(0);
    expect(u32(r.payload, 8)).toBe(0x1 | 0x4 | 0x20);
  });

  test('the device opens only below a registered supervisor, and a registration ends with its control file', () => {
    expect(open(h, 2).error).toBe(-1);
    const { control } = supervisorAndDevice();
    expect(open(h, 2).error).toBe(0);
    release(h, control);
    expect(open(h, 2).error).toBe(-1);
  });

  test('objects: created by a supervisor, opened once, gone after RELEASE', () => {
    const { device } = supervisorAndDevice();
    const id = createSem(device, 0, 2);
    const entry = lookup(h, String(id));
    expect(entry.error).toBe(0);
    const nodeid = u64(entry.payload, 0);
    expect(nodeid).toBeGreaterThanOrEqual(16);
    expect(u64(entry.payload, 16)).toBe(0); // entry_valid
    expect(open(h, nodeid, 1).error).toBe(-13); // EACCES: not its creator (init)
    const obj = open(h, nodeid);
    expect(obj.error).toBe(0);
    expect(open(h, nodeid).error).toBe(-13); // EACCES: opened already
    const fh = u64(obj.payload, 0);

    h.send(IOCTL, nodeid, ioctlBody(fh, NTSYNC_IOC_SEM_RELEASE, body(4, (v) => v.setUint32(0, 2, true)), 4));
    const rel = ioctlResult(h.one());
    expect([rel.result, u32(rel.data, 0)]).toEqual([0, 0]);
    h.send(IOCTL, nodeid, ioctlBody(fh, NTSYNC_IOC_SEM_READ, new Uint8Array(0), 8));
    const rd = ioctlResult(h.one());
    expect([rd.result, u32(rd.data, 0), u32(rd.data, 4)]).toEqual([0, 2, 2]);

    release(h, fh);
    expect(lookup(h, String(id)).error).toBe(-2);
    h.send(FORGET, nodeid, body(8, (v) => v.setBigUint64(0, 1n, true)), 0);
    expect(h.replies()).toEqual([]);
    expect(h.server.fs.get(nodeid)).toBeUndefined();
  });

  test('a direct CREATE_SEM is refused and creates nothing', () => {
    const { device } = supervisorAndDevice();
    h.send(IOCTL, 2, ioctlBody(device, NTSYNC_IOC_CREATE_SEM, body(8, (v) => v.setUint32(4, 1, true)), 0));
    expect(ioctlResult(h.one()).result).toBe(-1);
    expect(h.server.fs.objectCount).toBe(0);
    expect(h.logged.some((l) => l.includes('issued an ntsync CREATE ioctl directly'))).toBe(true);
  });

  test('CUSE_DEVICE reports 0:0 without CUSE', () => {
    const { control } = supervisorAndDevice();
    h.send(IOCTL, 3, ioctlBody(control, NTSYNCD_IOC_CUSE_DEVICE, new Uint8Array(0), 8));
    const r = ioctlResult(h.one());
    expect([r.result, u32(r.data, 0), u32(r.data, 4)]).toEqual([0, 0, 0]);
  });

  test('INTERRUPT answers a sleeping wait with -ERESTARTSYS, once', () => {
    const { device } = supervisorAndDevice();
    const unique = h.send(IOCTL, 2, ioctlBody(device, NTSYNC_IOC_WAIT_ANY, waitArgs(0xffffffffffffffffn), 40));
    expect(h.replies()).toEqual([]);
    expect(h.server.pending.size).toBe(1);
    h.send(INTERRUPT, 0, body(8, (v) => v.setBigUint64(0, BigInt(unique), true)), process.pid, unique | 1);
    const r = h.one();
    expect(r.unique).toBe(BigInt(unique));
    expect(r.len).toBe(32); // no out-data
    expect(ioctlResult(r).result).toBe(-512);
    expect(h.server.pending.size).toBe(0);
    h.send(INTERRUPT, 0, body(8, (v) => v.setBigUint64(0, BigInt(unique), true)), process.pid, unique | 1);
    expect(h.replies()).toEqual([]);
  });

  test('a deadline answers -ETIMEDOUT when the timer fires, not before', async () => {
    const { device } = supervisorAndDevice();
    const deadline = process.hrtime.bigint() + 20_000_000n;
    const unique = h.send(IOCTL, 2, ioctlBody(device, NTSYNC_IOC_WAIT_ANY, waitArgs(deadline), 40));
    h.server.onTimer(0); // too early: nothing expires
    expect(h.replies()).toEqual([]);
    while (process.hrtime.bigint() < deadline) await new Promise((r) => setTimeout(r, 5));
    h.server.onTimer(0);
    const r = h.one();
    expect(r.unique).toBe(BigInt(unique));
    expect(ioctlResult(r).result).toBe(-110);
  });

  test('plain file operations', () => {
    const fh = u64(open(h, 3).payload, 0);
    const fhBody = body(40, (v) => v.setBigUint64(0, BigInt(fh), true));
    h.send(15, 3, fhBody); // READ
    expect(h.one().error).toBe(-22);
    h.send(16, 3, fhBody); // WRITE
    expect(h.one().error).toBe(-22);
    h.send(40, 3, body(24, (v) => v.setBigUint64(0, BigInt(fh), true))); // POLL
    expect(h.one().error).toBe(-38);
    h.send(25, 3, body(24, (v) => v.setBigUint64(0, BigInt(fh), true))); // FLUSH
    expect(h.one().error).toBe(0);
    h.send(17, 1, new Uint8Array(0)); // STATFS
    expect(h.one().len).toBe(96);
    h.send(9, 1, name('dir')); // MKDIR: not for us
    expect(h.one().error).toBe(-38);
    h.send(IOCTL, 3, ioctlBody(fh, iowr(0x4e, 0x82, 41), new Uint8Array(41), 41));
    expect(ioctlResult(h.one()).result).toBe(-25); // larger than any ioctl of ours: ENOTTY
  });
});

describe('before INIT', () => {
  test('requests fail with EIO, and FORGET gets no reply', () => {
    const h = new Harness();
    h.send(LOOKUP, 1, name('device'));
    expect(h.one().error).toBe(-5);
    h.send(FORGET, 2, body(8), 0);
    expect(h.replies()).toEqual([]);
    h.close();
  });

  test('a kernel speaking an older FUSE than 7.31 is refused', () => {
    const h = new Harness();
    h.send(INIT, 0, body(16, (v) => (v.setUint32(0, 7, true), v.setUint32(4, 30, true))));
    expect(h.one().error).toBe(-71);
    expect(h.session.initialized).toBe(false);
    h.close();
  });
});

describe('random requests', () => {
  const KNOWN = [1, 2, 3, 9, 14, 15, 16, 17, 18, 25, 26, 27, 36, 38, 39, 40, 42, 4096];
  const cmds = [NTSYNC_IOC_WAIT_ANY, NTSYNC_IOC_SEM_RELEASE, NTSYNC_IOC_SEM_READ, NTSYNC_IOC_CREATE_SEM, NTSYNCD_IOC_CREATE, NTSYNCD_IOC_REGISTER, io(0xf3, 9), ior(0x4e, 0x8c, 8), iow(0x4e, 0x86, 4)];

  test('never throw, and every reply is well-formed and answers its request', () => {
    const errors: string[] = [];
    const h = new Harness({ ...silentLog, error: (m) => errors.push(m) });
    init(h);
    // a supervisor and a device so that deeper paths are reachable
    h.send(OPEN, 3, body(8));
    const control = u64(h.one().payload, 0);
    h.send(IOCTL, 3, ioctlBody(control, NTSYNCD_IOC_REGISTER, new Uint8Array(0), 0));
    h.replies();
    const ioctlRequest = fc.record({
      fh: fc.nat(12),
      cmd: fc.oneof(fc.constantFrom(...cmds), fc.nat({ max: 0xffffffff })),
      data: fc.uint8Array({ maxLength: 64 }),
      outSize: fc.nat(80),
    });
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...KNOWN), fc.nat(5000)),
        fc.nat(40),
        fc.oneof(fc.uint8Array({ maxLength: 200 }), ioctlRequest.map((r) => ioctlBody(r.fh, r.cmd, r.data, r.outSize))),
        fc.constantFrom(0, process.pid, 1, 999999),
        (opcode, nodeid, payload, pid) => {
          const unique = h.send(opcode, nodeid, payload, pid);
          for (const r of h.replies()) {
            expect(r.error).toBeLessThanOrEqual(0);
            expect(r.error).toBeGreaterThanOrEqual(-511);
            if (r.error !== 0) expect(r.len).toBe(16);
            if (r.unique !== BigInt(unique)) {
              // only the answer of a wait this request completed may come for another request
              expect(r.len).toBeGreaterThanOrEqual(32);
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
    // Apart from random INITs with impossible versions, an error line would be an internal
    // error caught by the session, or a reply the pipe refused.
    expect(errors.filter((m) => !/^the kernel speaks (FUSE|CUSE) \d+\.\d+; ntsyncd needs/.test(m))).toEqual([]);
    h.close();
  });

  test('bytes that are not a request are dropped with a log line', () => {
    const logged: string[] = [];
    const h = new Harness({ ...silentLog, error: (m) => logged.push(m) });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.nat(120), (bytes, length) => {
        h.session.readBuf.set(bytes);
        new DataView(h.session.readBuf.buffer).setUint32(0, length + 1, true); // never equal to the length read
        h.server.handle(h.session, length);
        expect(h.replies()).toEqual([]);
      }),
      { numRuns: 500 },
    );
    expect(logged.length).toBe(500);
    expect(logged[0]).toMatch(/^dropped a malformed request of \d+ bytes/);
    h.close();
  });
});
