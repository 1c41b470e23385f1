// What the supervisor needs from whoever makes the objects: ntsyncd in production
// (daemon-backend.ts), a stand-in in the tests.
import type { ObjectType } from '../core/types';

export interface ObjectBackend {
  /**
   * Whether `fd` (our duplicate of the caller's fd) is a device this backend serves. Anything
   * else, such as the kernel's own /dev/ntsync or an unrelated file, is left to the kernel.
   */
  owns(fd: number): boolean;
  /**
   * Creates an object on the device instance behind `deviceFd` from the caller's 8 argument
   * bytes. Returns an fd of ours for the new object (the supervisor injects a duplicate into
   * the caller and closes it), or -errno exactly as the kernel's CREATE would fail.
   */
  create(deviceFd: number, type: ObjectType, args: Uint8Array): number;
  close(): void;
}
