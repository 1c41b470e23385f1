// A minimal classic-BPF assembler: the few instructions a seccomp filter needs, with symbolic
// jump targets so the program can be written as a readable list and its offsets computed.
// Classic BPF only jumps forward, by at most 255 instructions on a conditional branch.
import { endianness } from 'node:os';

export const BPF_LD_W_ABS = 0x20; // A = u32 at [k] of seccomp_data
export const BPF_JMP_JEQ_K = 0x15; // if A == k goto jt else goto jf
export const BPF_JMP_JA = 0x05; // goto k
export const BPF_RET_K = 0x06; // return k

export type Label = string;

type Instruction =
  | { op: 'ld'; offset: number }
  | { op: 'jeq'; value: number; then: Label | null; else: Label | null }
  | { op: 'ja'; to: Label }
  | { op: 'ret'; value: number }
  | { op: 'label'; name: Label };

export class BpfProgram {
  private readonly code: Instruction[] = [];

  /** A = the 32-bit word at `offset` in struct seccomp_data. */
  load(offset: number): this {
    this.code.push({ op: 'ld', offset });
    return this;
  }

  /** If A == value go to `then`, otherwise to `otherwise`; null means the next instruction. */
  jumpIfEqual(value: number, then: Label | null, otherwise: Label | null = null): this {
    this.code.push({ op: 'jeq', value: value >>> 0, then, else: otherwise });
    return this;
  }

  jump(to: Label): this {
    this.code.push({ op: 'ja', to });
    return this;
  }

  ret(value: number): this {
    this.code.push({ op: 'ret', value: value >>> 0 });
    return this;
  }

  label(name: Label): this {
    this.code.push({ op: 'label', name });
    return this;
  }

  /** struct sock_filter[] in native byte order: u16 code, u8 jt, u8 jf, u32 k. */
  assemble(): Uint8Array {
    const positions = new Map<Label, number>();
    let pc = 0;
    for (const insn of this.code) {
      if (insn.op === 'label') {
        if (positions.has(insn.name)) throw new Error(`BPF label ${insn.name} defined twice`);
        positions.set(insn.name, pc);
      } else {
        pc++;
      }
    }
    const count = pc;
    const out = new Uint8Array(count * 8);
    const view = new DataView(out.buffer);
    const le = endianness() === 'LE';
    const offsetTo = (label: Label | null, from: number, limit: number): number => {
      if (label === null) return 0;
      const target = positions.get(label);
      if (target === undefined) throw new Error(`BPF label ${label} is not defined`);
      const offset = target - (from + 1);
      if (offset < 0 || offset > limit) throw new Error(`BPF jump to ${label} out of range (${offset})`);
      return offset;
    };
    pc = 0;
    for (const insn of this.code) {
      if (insn.op === 'label') continue;
      let code: number;
      let jt = 0;
      let jf = 0;
      let k: number;
      switch (insn.op) {
        case 'ld':
          code = BPF_LD_W_ABS;
          k = insn.offset;
          break;
        case 'jeq':
          code = BPF_JMP_JEQ_K;
          jt = offsetTo(insn.then, pc, 255);
          jf = offsetTo(insn.else, pc, 255);
          k = insn.value;
          break;
        case 'ja':
          code = BPF_JMP_JA;
          k = offsetTo(insn.to, pc, 0xffffffff);
          break;
        case 'ret':
          code = BPF_RET_K;
          k = insn.value;
          break;
      }
      view.setUint16(pc * 8, code, le);
      view.setUint8(pc * 8 + 2, jt);
      view.setUint8(pc * 8 + 3, jf);
      view.setUint32(pc * 8 + 4, k, le);
      pc++;
    }
    return out;
  }
}
