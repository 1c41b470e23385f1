// Every case of the suite, in spec order.
import type { AbiCase } from '../framework/abi-case';
import { createCases } from './create-ioctls';
import { deviceNodeCases } from './device-node';
import { objectDetailCases } from './object-details';
import { objectIoctlCases } from './object-ioctls';
import { objectCases } from './objects';
import { waitSemanticsCases } from './wait-semantics';
import { waitSignalCases } from './wait-signals';
import { waitTimeoutCases } from './wait-timeouts';
import { waitValidationCases } from './wait-validation';
import { wakeOrderCases } from './wake-order';

/** "6.10" after "6.5", "10" after "9". */
function sectionKey(section: string): number[] {
  return section.split('.').map(Number);
}
function compareSections(a: string, b: string): number {
  const ka = sectionKey(a);
  const kb = sectionKey(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? -1) - (kb[i] ?? -1);
    if (d) return d;
  }
  return 0;
}

const unordered: AbiCase[] = [
  ...deviceNodeCases,
  ...objectCases,
  ...createCases,
  ...objectIoctlCases,
  ...waitValidationCases,
  ...waitSemanticsCases,
  ...waitTimeoutCases,
  ...waitSignalCases,
  ...wakeOrderCases,
  ...objectDetailCases,
];

export const ALL_CASES: readonly AbiCase[] = [...unordered].sort((a, b) => compareSections(a.section, b.section));
