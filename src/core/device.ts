import type { DeviceId } from './types';

/** One open of /dev/ntsync. It owns nothing but an identity that objects and waits share. */
export class Device {
  /** The device file (1 while any fd refers to it) plus one per live object and pending wait. */
  refs = 1;
  handleOpen = true;
  constructor(readonly id: DeviceId) {}
}
