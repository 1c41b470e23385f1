// One struct ntsync_wait_args in scratch memory, with its objs array, laid out as the uapi
// header says (40 bytes: timeout, objs, count, index, flags, owner, alert, pad). Cases set any
// field to any value, including ones a well-behaved client never would (a count that does not
// match the array, a pointer that faults, a non-zero pad), and read back `index` afterwards.
import { WAIT_OFF, encodeWaitArgs } from '../../ioctl/structs';
import type { ScratchMemory } from '../sys/memory';

/** Written into `index` before every wait: a wait that fails must leave it like this. */
export const INDEX_SENTINEL = 0xdeadbeef;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const NTSYNC_WAIT_REALTIME = 0x1;

export interface WaitSpec {
  /** Object fds, written to a fresh array in scratch memory (unless objsAddr is given). */
  objs?: number[];
  /** Overrides objs.length. */
  count?: number;
  /** Overrides the array address (for faulting or NULL pointers). */
  objsAddr?: number;
  /** Absolute deadline in ns; default 0, a poll. */
  timeout?: bigint;
  flags?: number;
  /** Default 1: any non-zero owner. */
  owner?: number;
  alert?: number;
  pad?: number;
  index?: number;
  /** Use this address for the struct and write nothing there (faulting or read-only memory). */
  at?: number;
}

export class WaitBlock {
  readonly addr: number;
  readonly objsAddr: number;

  constructor(
    private readonly mem: ScratchMemory,
    spec: WaitSpec,
  ) {
    const objs = spec.objs ?? [];
    let objsAddr = spec.objsAddr;
    if (objsAddr === undefined) {
      objsAddr = objs.length ? mem.alloc(objs.length * 4, 4) : 0;
      objs.forEach((fd, i) => mem.setI32(objsAddr! + i * 4, fd));
    }
    this.objsAddr = objsAddr;
    this.addr = spec.at ?? mem.alloc(40, 8);
    if (spec.at === undefined) mem.setBytes(this.addr, WaitBlock.encode(spec, objs.length, objsAddr));
  }

  /** The 40 bytes of the struct `spec` describes. */
  static encode(spec: WaitSpec, objCount: number, objsAddr: number): Uint8Array {
    return encodeWaitArgs({
      timeout: BigInt.asUintN(64, spec.timeout ?? 0n),
      objs: BigInt(objsAddr),
      count: spec.count ?? objCount,
      index: spec.index ?? INDEX_SENTINEL,
      flags: spec.flags ?? 0,
      owner: spec.owner ?? 1,
      alert: spec.alert ?? 0,
      pad: spec.pad ?? 0,
    });
  }

  /** The `index` field now (only meaningful for structs in read-write scratch memory). */
  get index(): number {
    return this.mem.getU32(this.addr + WAIT_OFF.index);
  }

  /** All 40 bytes, to check that a wait wrote nothing but `index`. */
  snapshot(): Uint8Array {
    return this.mem.bytes(this.addr, 40);
  }
}
