// One kernel connection: /dev/fuse (the object filesystem) or /dev/cuse (the character device).
// Owns the fd, the read buffer and the reply buffer, and the handshake state; what a request
// means is the server's business.
import { NativeBuffer, readIntoNative, writeFromNative } from '../sys/raw-io';
import { sysClose } from '../sys/io';
import { FUSE_MIN_READ_BUFFER, IOCTL_IN_DATA, IOCTL_OUT_DATA } from './wire/layout';
import type { PendingWait } from './pending-waits';

export type SessionKind = 'fuse' | 'cuse';

const ENOENT = 2;
const EINTR = 4;
const EAGAIN = 11;
const ENODEV = 19;

/** The largest ioctl argument we ever copy (WAIT: 40 bytes, control CREATE: 24). */
export const MAX_IOCTL_DATA = 64;
/** What we announce as max_write; WRITE is refused anyway, so the minimum the kernel allows. */
export const MAX_WRITE = 4096;

export class Session {
  /**
   * max(8192, header + write header + max_write): the kernel refuses smaller reads. Both buffers
   * are native and never freed: a session lasts as long as the daemon, and an answer computed
   * after close may still be encoded into them.
   */
  private readonly readMem = new NativeBuffer(Math.max(FUSE_MIN_READ_BUFFER, 80 + MAX_WRITE));
  private readonly replyMem = new NativeBuffer(4096);
  readonly readBuf = this.readMem.bytes;
  readonly replyBuf = this.replyMem.bytes;
  /** An IOCTL's in-data, in place in the read buffer (no copy). */
  readonly ioctlInput = this.readBuf.subarray(IOCTL_IN_DATA, IOCTL_IN_DATA + MAX_IOCTL_DATA);
  /** Where an IOCTL reply's out-data goes, in place in the reply buffer. */
  readonly ioctlOutput = this.replyBuf.subarray(IOCTL_OUT_DATA, IOCTL_OUT_DATA + MAX_IOCTL_DATA);
  /** Waits of this connection not yet answered, by request `unique` (for INTERRUPT). */
  readonly waits = new Map<number, PendingWait>();

  initialized = false;
  /** The protocol minor version agreed at INIT. */
  minor = 0;
  /** Set once the kernel has said the connection is gone (ENODEV). */
  closed = false;

  constructor(
    readonly fd: number,
    readonly kind: SessionKind,
  ) {}

  /**
   * Reads one request into readBuf. Returns its length, 0 when there is none right now, or
   * -ENODEV when the connection is gone (unmounted or aborted).
   */
  receive(): number {
    for (;;) {
      const n = readIntoNative(this.fd, this.readMem, this.readMem.size);
      if (n > 0) return n;
      // ENOENT: the request was interrupted and withdrawn between poll and read.
      if (n === -EINTR) continue;
      if (n === -EAGAIN || n === -ENOENT || n === 0) return 0;
      this.closed = true;
      return -ENODEV;
    }
  }

  /**
   * Sends replyBuf[0..length) as one write. Returns 0 or -errno; -ENOENT means the kernel no
   * longer waits for this request (it was interrupted and aborted), which is not an error.
   */
  send(length: number): number {
    const n = writeFromNative(this.fd, this.replyMem, length);
    return n < 0 ? n : 0;
  }

  close(): void {
    if (this.fd >= 0) sysClose(this.fd);
    this.closed = true;
  }
}
