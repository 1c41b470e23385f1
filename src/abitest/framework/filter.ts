// --filter PATTERN: comma-separated patterns, each matched against case ids without regard to
// case. A pattern with '*' is a glob over the whole id ("6.*/count-*"); without, a substring
// ("wake", "6.1/"). A case runs if any pattern matches.
import type { AbiCase } from './abi-case';

function matcher(pattern: string): (id: string) => boolean {
  const p = pattern.trim().toLowerCase();
  if (!p.includes('*')) return (id) => id.toLowerCase().includes(p);
  const re = new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return (id) => re.test(id.toLowerCase());
}

export function filterCases(cases: readonly AbiCase[], filter: string | undefined): AbiCase[] {
  if (!filter) return [...cases];
  const matchers = filter.split(',').filter((s) => s.trim()).map(matcher);
  return cases.filter((c) => matchers.some((m) => m(c.id)));
}
