// What a case is: one behaviour of ntsync-abi.md, named "<spec section>/<behaviour>", checked
// through real ioctls on whatever device the suite was pointed at.
import type { CaseContext } from './context';

export interface AbiCase {
  /** "6.1/count-65-is-EINVAL" */
  readonly id: string;
  /** The ntsync-abi.md section the behaviour is specified in: "6.1". */
  readonly section: string;
  /** One sentence: the behaviour, as the spec states it. */
  readonly title: string;
  /** Items of the section 13 checklist this case checks (numbers 1–27). */
  readonly corners: readonly number[];
  run(t: CaseContext): Promise<void> | void;
}

export interface CaseOptions {
  corners?: number[];
}

/** Builds the cases of one spec section. */
export function section(name: string) {
  return (slug: string, title: string, run: AbiCase['run'], options: CaseOptions = {}): AbiCase => ({
    id: `${name}/${slug}`,
    section: name,
    title,
    corners: options.corners ?? [],
    run,
  });
}
