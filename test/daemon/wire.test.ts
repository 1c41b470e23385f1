// The FUSE/CUSE wire structs against byte layouts written out by hand from
// include/uapi/linux/fuse.h (offsets are spelled out here, not taken from src/cuse/wire/layout).
import fc from 'fast-check';
import {
  decodeBatchForgetCount,
  decodeCuseInitIn,
  decodeForgetIn,
  decodeInHeader,
  decodeInitIn,
  decodeInterruptIn,
  decodeIoctlIn,
  decodeLeadingFh,
  decodeLookupNameLength,
  decodeOpenIn,
  forgetOneNlookup,
  forgetOneNodeid,
  CuseInitIn,
  InHeader,
  InitIn,
  IoctlIn,
  OpenIn,
} from '../../src/cuse/wire/request';
import {
  encodeAttr,
  encodeCuseInit,
  encodeDirents,
  encodeEmpty,
  encodeEntry,
  encodeError,
  encodeInit,
  encodeIoctl,
  encodeOpen,
  encodeStatfs,
  type Attr,
} from '../../src/cuse/wire/reply';

/** A little-endian byte image built field by field at explicit offsets. */
class Image {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(off: number, v: number): this {
    this.view.setUint16(off, v, true);
    return this;
  }
  u32(off: number, v: number): this {
    this.view.setUint32(off, v >>> 0, true);
    return this;
  }
  i32(off: number, v: number): this {
    this.view.setInt32(off, v, true);
    return this;
  }
  u64(off: number, v: bigint | number): this {
    this.view.setBigUint64(off, BigInt(v), true);
    return this;
  }
  text(off: number, s: string): this {
    for (let i = 0; i < s.length; i++) this.bytes[off + i] = s.charCodeAt(i);
    return this;
  }
}

/** struct fuse_in_header: len 0, opcode 4, unique 8, nodeid 16, uid 24, gid 28, pid 32, total_extlen 36, padding 38. */
function request(size: number, opcode: number, unique: number, nodeid: number, pid = 4242): Image {
  return new Image(size).u32(0, size).u32(4, opcode).u64(8, unique).u64(16, nodeid).u32(24, 1000).u32(28, 100).u32(32, pid);
}

const out = () => new Uint8Array(512);

describe('requests', () => {
  test('fuse_in_header', () => {
    const img = request(48, 39, 0x100000002, 0x12345, 777);
    const h = new InHeader();
    expect(decodeInHeader(img.bytes, 48, h)).toBe(true);
    expect(h).toEqual({ len: 48, opcode: 39, unique: 0x100000002, nodeid: 0x12345, uid: 1000, gid: 100, pid: 777 });
    // the length read must be the length the header states, and at least a header
    expect(decodeInHeader(img.bytes, 47, h)).toBe(false);
    expect(decodeInHeader(img.bytes.subarray(0, 39), 39, h)).toBe(false);
  });

  test('fuse_init_in, 16-byte (before 7.36) and 64-byte forms', () => {
    const h = new InHeader();
    const init = new InitIn();
    const old = request(40 + 16, 26, 2, 0).u32(40, 7).u32(44, 31).u32(48, 131072).u32(52, 0xabc);
    expect(decodeInHeader(old.bytes, 56, h) && decodeInitIn(old.bytes, h, init)).toBe(true);
    expect(init).toEqual({ major: 7, minor: 31, maxReadahead: 131072, flags: 0xabc });
    const cur = request(40 + 64, 26, 2, 0).u32(40, 7).u32(44, 45).u32(48, 4096).u32(52, 0x73fffffb).u32(56, 0x3);
    expect(decodeInHeader(cur.bytes, 104, h) && decodeInitIn(cur.bytes, h, init)).toBe(true);
    expect(init).toEqual({ major: 7, minor: 45, maxReadahead: 4096, flags: 0x73fffffb });
    const short = request(40 + 12, 26, 2, 0);
    expect(decodeInHeader(short.bytes, 52, h) && decodeInitIn(short.bytes, h, init)).toBe(false);
  });

  test('cuse_init_in: major 0, minor 4, unused 8, flags 12', () => {
    const img = request(56, 4096, 2, 0).u32(40, 7).u32(44, 38).u32(48, 0).u32(52, 1);
    const h = new InHeader();
    const init = new CuseInitIn();
    expect(decodeInHeader(img.bytes, 56, h) && decodeCuseInitIn(img.bytes, h, init)).toBe(true);
    expect(init).toEqual({ major: 7, minor: 38, flags: 1 });
  });

  test('fuse_ioctl_in: fh 0, flags 8, cmd 12, arg 16, in_size 24, out_size 28, then in_size bytes', () => {
    const img = request(40 + 32 + 40, 39, 10, 2)
      .u64(40, 7)
      .u32(48, 1)
      .u32(52, 0xc0284e82)
      .u64(56, 0x7ffd12345678n)
      .u32(64, 40)
      .u32(68, 40);
    const h = new InHeader();
    const io = new IoctlIn();
    expect(decodeInHeader(img.bytes, 112, h) && decodeIoctlIn(img.bytes, h, io)).toBe(true);
    expect(io).toEqual({ fh: 7, flags: 1, cmd: 0xc0284e82, inSize: 40, outSize: 40 });
    // in_size claims more bytes than the request holds
    img.u32(64, 41);
    expect(decodeIoctlIn(img.bytes, h, io)).toBe(false);
  });

  test('fuse_open_in, release/read/write/poll fh, forget, batch forget, interrupt, lookup name', () => {
    const h = new InHeader();
    const open = request(48, 14, 4, 2).u32(40, 0o2000002).u32(44, 0);
    const o = new OpenIn();
    expect(decodeInHeader(open.bytes, 48, h) && decodeOpenIn(open.bytes, h, o)).toBe(true);
    expect(o.flags).toBe(0o2000002);

    const release = request(64, 18, 6, 2, 0).u64(40, 0x1_0000_0003).u32(48, 2).u32(52, 1).u64(56, 99);
    expect(decodeInHeader(release.bytes, 64, h)).toBe(true);
    expect(decodeLeadingFh(release.bytes, h, 24)).toBe(0x1_0000_0003);
    expect(decodeLeadingFh(release.bytes, h, 25)).toBe(-1);

    const forget = request(48, 2, 8, 17, 0).u64(40, 3);
    expect(decodeInHeader(forget.bytes, 48, h) && decodeForgetIn(forget.bytes, h)).toBe(3);

    // fuse_batch_forget_in {count, dummy} then fuse_forget_one {nodeid, nlookup} entries
    const batch = request(48 + 2 * 16, 42, 10, 0, 0).u32(40, 2).u64(48, 20).u64(56, 1).u64(64, 21).u64(72, 5);
    expect(decodeInHeader(batch.bytes, 80, h)).toBe(true);
    expect(decodeBatchForgetCount(batch.bytes, h)).toBe(2);
    expect([forgetOneNodeid(batch.bytes, 0), forgetOneNlookup(batch.bytes, 0)]).toEqual([20, 1]);
    expect([forgetOneNodeid(batch.bytes, 1), forgetOneNlookup(batch.bytes, 1)]).toEqual([21, 5]);
    batch.u32(40, 1000); // a count beyond the entries present is capped
    expect(decodeBatchForgetCount(batch.bytes, h)).toBe(2);

    const intr = request(48, 36, 0x41, 0, 4242).u64(40, 0x40);
    expect(decodeInHeader(intr.bytes, 48, h) && decodeInterruptIn(intr.bytes, h)).toBe(0x40);

    const lookup = request(40 + 7, 1, 12, 1).text(40, 'device');
    expect(decodeInHeader(lookup.bytes, 47, h) && decodeLookupNameLength(lookup.bytes, h)).toBe(6);
    const unterminated = request(40 + 6, 1, 12, 1).text(40, 'device');
    expect(decodeInHeader(unterminated.bytes, 46, h) && decodeLookupNameLength(unterminated.bytes, h)).toBe(-1);
  });

  test('decoders never throw and never claim bytes past the request', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(320), (bytes, claimed) => {
        const buf = new Uint8Array(512);
        buf.set(bytes);
        const h = new InHeader();
        if (!decodeInHeader(buf, claimed, h)) return;
        expect(h.len).toBe(claimed);
        const io = new IoctlIn();
        if (decodeIoctlIn(buf, h, io)) expect(40 + 32 + io.inSize).toBeLessThanOrEqual(h.len);
        const n = decodeBatchForgetCount(buf, h);
        if (n > 0) expect(48 + n * 16).toBeLessThanOrEqual(h.len);
        const name = decodeLookupNameLength(buf, h);
        if (name >= 0) expect(40 + name + 1).toBeLessThanOrEqual(h.len);
        decodeInitIn(buf, h, new InitIn());
        decodeCuseInitIn(buf, h, new CuseInitIn());
        decodeOpenIn(buf, h, new OpenIn());
        decodeInterruptIn(buf, h);
        decodeForgetIn(buf, h);
      }),
      { numRuns: 2000 },
    );
  });
});

/** struct fuse_out_header: len 0, error 4, unique 8. */
function reply(size: number, error: number, unique: number): Image {
  return new Image(size).u32(0, size).i32(4, error).u64(8, unique);
}

const attr: Attr = { ino: 17, size: 0, blocks: 0, time: 1700000000, mode: 0o100600, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096 };

/** struct fuse_attr at `at`: ino 0, size 8, blocks 16, atime 24, mtime 32, ctime 40, *nsec 48/52/56, mode 60,
 * nlink 64, uid 68, gid 72, rdev 76, blksize 80, flags 84 (88 bytes). */
function withAttr(img: Image, at: number): Image {
  return img
    .u64(at, 17)
    .u64(at + 24, 1700000000)
    .u64(at + 32, 1700000000)
    .u64(at + 40, 1700000000)
    .u32(at + 60, 0o100600)
    .u32(at + 64, 1)
    .u32(at + 80, 4096);
}

describe('replies', () => {
  test('header-only error: -errno, no payload', () => {
    const buf = out();
    expect(encodeError(buf, 0x2_0000_0004, 22)).toBe(16);
    expect(buf.subarray(0, 16)).toEqual(reply(16, -22, 0x2_0000_0004).bytes);
    expect(() => encodeError(buf, 1, 512)).toThrow(RangeError);
    expect(() => encodeError(buf, 1, 0)).toThrow(RangeError);
    expect(encodeEmpty(buf, 6)).toBe(16);
    expect(buf.subarray(0, 16)).toEqual(reply(16, 0, 6).bytes);
  });

  test('fuse_init_out: 64 bytes', () => {
    const buf = out().fill(0xee);
    const n = encodeInit(buf, 2, {
      major: 7,
      minor: 38,
      maxReadahead: 131072,
      flags: 0,
      maxBackground: 12,
      congestionThreshold: 9,
      maxWrite: 4096,
      timeGran: 1,
      maxPages: 32,
    });
    // major 0, minor 4, max_readahead 8, flags 12, max_background 16 (u16), congestion_threshold 18 (u16),
    // max_write 20, time_gran 24, max_pages 28 (u16), map_alignment 30, flags2 32, rest unused
    const expected = reply(80, 0, 2)
      .u32(16, 7)
      .u32(20, 38)
      .u32(24, 131072)
      .u16(32, 12)
      .u16(34, 9)
      .u32(36, 4096)
      .u32(40, 1)
      .u16(44, 32);
    expect(n).toBe(80);
    expect(buf.subarray(0, 80)).toEqual(expected.bytes);
  });

  test('cuse_init_out (72 bytes) then NUL-terminated device info', () => {
    const buf = out().fill(0xee);
    const n = encodeCuseInit(buf, 2, { major: 7, minor: 38, flags: 0, maxRead: 4096, maxWrite: 4096, devMajor: 0, devMinor: 0 }, [
      'DEVNAME=ntsync',
    ]);
    // major 0, minor 4, unused 8, flags 12, max_read 16, max_write 20, dev_major 24, dev_minor 28, spare[10] 32..72
    const expected = reply(16 + 72 + 15, 0, 2).u32(16, 7).u32(20, 38).u32(32, 4096).u32(36, 4096).text(88, 'DEVNAME=ntsync');
    expect(n).toBe(16 + 72 + 15);
    expect(buf.subarray(0, n)).toEqual(expected.bytes);
    expect(() => encodeCuseInit(buf, 2, { major: 7, minor: 38, flags: 0, maxRead: 0, maxWrite: 0, devMajor: 0, devMinor: 0 }, ['A=\u00e9'])).toThrow(
      RangeError,
    );
  });

  test('fuse_entry_out: nodeid 0, generation 8, entry_valid 16, attr_valid 24, nsecs 32/36, attr 40 (128 bytes)', () => {
    const buf = out().fill(0xee);
    const n = encodeEntry(buf, 12, 17, 0, 0, 86400, attr);
    expect(n).toBe(144);
    expect(buf.subarray(0, n)).toEqual(withAttr(reply(144, 0, 12).u64(16, 17).u64(40, 86400), 56).bytes);
  });

  test('fuse_attr_out: attr_valid 0, attr_valid_nsec 8, dummy 12, attr 16 (104 bytes)', () => {
    const buf = out().fill(0xee);
    const n = encodeAttr(buf, 14, 86400, attr);
    expect(n).toBe(120);
    expect(buf.subarray(0, n)).toEqual(withAttr(reply(120, 0, 14).u64(16, 86400), 32).bytes);
  });

  test('fuse_open_out: fh 0, open_flags 8, backing_id 12', () => {
    const buf = out().fill(0xee);
    expect(encodeOpen(buf, 16, 0x1_0000_0005, 0x25)).toBe(32);
    expect(buf.subarray(0, 32)).toEqual(reply(32, 0, 16).u64(16, 0x1_0000_0005).u32(24, 0x25).bytes);
  });

  test('fuse_ioctl_out: result 0, flags 4, in_iovs 8, out_iovs 12, then the out-data', () => {
    const buf = out().fill(0xee);
    buf.set([1, 2, 3, 4], 32);
    expect(encodeIoctl(buf, 18, -130, 4)).toBe(36);
    expect(buf.subarray(0, 36)).toEqual(new Image(36).u32(0, 36).u64(8, 18).i32(16, -130).u32(32, 0x04030201).bytes);
    expect(encodeIoctl(buf, 20, 3, 0)).toBe(32);
    expect(buf.subarray(0, 32)).toEqual(reply(32, 0, 20).i32(16, 3).bytes);
  });

  test('fuse_dirent: ino 0, off 8, namelen 16, type 20, name 24, each padded to 8 bytes; whole entries only', () => {
    const names = ['.', 'device', '12345678'];
    const entries = {
      count: names.length,
      ino: (i: number) => [1, 2, 0x1_0000_0010][i],
      type: (i: number) => (i === 0 ? 4 : 8),
      writeName: (i: number, b: Uint8Array, at: number) => {
        b.set(Buffer.from(names[i]), at);
        return names[i].length;
      },
    };
    const image = reply(16 + 32 + 32 + 32, 0, 24)
      .u64(16, 1).u64(24, 1).u32(32, 1).u32(36, 4)
      .u64(48, 2).u64(56, 2).u32(64, 6).u32(68, 8)
      .u64(80, 0x1_0000_0010).u64(88, 3).u32(96, 8).u32(100, 8).bytes;
    image.set(Buffer.from('.'), 40);
    image.set(Buffer.from('device'), 72);
    image.set(Buffer.from('12345678'), 104);
    const buf = out().fill(0xee);
    expect(encodeDirents(buf, 24, entries, 0, 4096)).toBe(112);
    expect(buf.subarray(0, 112)).toEqual(image);
    // From the cookie of the first entry on; and a size that cuts the last entry drops it whole.
    const from1 = out().fill(0xee);
    expect(encodeDirents(from1, 24, entries, 1, 63)).toBe(48);
    expect(from1.subarray(16, 48)).toEqual(image.subarray(48, 80));
    // Past the end: an empty reply, which ends the listing.
    expect(encodeDirents(out(), 24, entries, 3, 4096)).toBe(16);
  });

  test('fuse_statfs_out: blocks 0, bfree 8, bavail 16, files 24, ffree 32, bsize 40, namelen 44, frsize 48 (80 bytes)', () => {
    const buf = out().fill(0xee);
    expect(encodeStatfs(buf, 22, { blocks: 0, files: 9, ffree: 0, bsize: 4096, namelen: 255 })).toBe(96);
    expect(buf.subarray(0, 96)).toEqual(reply(96, 0, 22).u64(40, 9).u32(56, 4096).u32(60, 255).u32(64, 4096).bytes);
  });
});
