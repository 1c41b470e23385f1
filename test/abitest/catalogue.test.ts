// The case catalogue itself: unique, well-formed names, every spec section the suite claims,
// and every item of the spec's section 13 checklist checked by at least one case.
import { ALL_CASES } from '../../src/abitest/cases/index';
import { filterCases } from '../../src/abitest/framework/filter';

const SECTIONS = ['1', '3', '4', '5', '6.1', '6.2', '6.3', '6.4', '6.5', '7', '8', '9', '10', '12'];

test('case ids are unique and read "<spec section>/<behaviour>"', () => {
  const ids = ALL_CASES.map((c) => c.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const c of ALL_CASES) {
    expect(c.id).toMatch(/^\d+(\.\d+)?\/[A-Za-z0-9][A-Za-z0-9.^_-]*$/);
    expect(c.id.startsWith(`${c.section}/`)).toBe(true);
    expect(c.title).toMatch(/\.$/);
  }
});

test('cases come in spec order and cover every section of the spec with testable behaviour', () => {
  const seen = [...new Set(ALL_CASES.map((c) => c.section))];
  expect(seen).toEqual(SECTIONS);
});

test('every item of the section 13 checklist is checked by some case', () => {
  const covered = new Set(ALL_CASES.flatMap((c) => c.corners));
  const missing = Array.from({ length: 27 }, (_, i) => i + 1).filter((n) => !covered.has(n));
  expect(missing).toEqual([]);
  for (const c of ALL_CASES) for (const n of c.corners) expect(n >= 1 && n <= 27).toBe(true);
});

test('--filter: substrings and globs, comma-separated, case-insensitive', () => {
  const ids = (f: string) => filterCases(ALL_CASES, f).map((c) => c.id);
  expect(ids('6.1/count-65')).toEqual(['6.1/count-65-is-EINVAL']);
  expect(ids('6.1/COUNT-6*')).toEqual(['6.1/count-64-is-valid', '6.1/count-65-is-EINVAL']);
  expect(ids('1/node-mode,12/')).toEqual(['1/node-mode-is-0666', '12/the-6.10-create-sem-number-is-unknown']);
  expect(ids('no-such-case')).toEqual([]);
  expect(filterCases(ALL_CASES, undefined)).toHaveLength(ALL_CASES.length);
});
