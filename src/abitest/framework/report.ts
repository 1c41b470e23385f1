// The two shapes of the result: lines a person reads as the run goes, and one JSON document
// for machines.
import type { CaseResult, RunSummary } from './runner';

/** "PASS 6.1/count-65-is-EINVAL", or a FAIL line with the reason and, below, what the spec says. */
export function caseLine(r: CaseResult): string {
  if (r.status === 'pass') return `PASS ${r.id}`;
  const corners = r.corners.length ? ` [checklist ${r.corners.map((n) => `13.${n}`).join(', ')}]` : '';
  return `FAIL ${r.id} — ${r.message}\n     spec ${r.section}: ${r.title}${corners}`;
}

export function summaryLine(s: RunSummary): string {
  const verdict = s.failed === 0 ? 'all passed' : `${s.failed} failed`;
  return `abi-test: ${s.total} cases on ${s.device}: ${s.passed} passed, ${verdict} (${(s.durationMs / 1000).toFixed(1)} s)`;
}

export function jsonReport(s: RunSummary): string {
  return JSON.stringify(
    {
      device: s.device,
      total: s.total,
      passed: s.passed,
      failed: s.failed,
      durationMs: s.durationMs,
      cases: s.results.map((r) => ({
        id: r.id,
        section: r.section,
        title: r.title,
        checklist: r.corners.map((n) => `13.${n}`),
        status: r.status,
        ...(r.message === undefined ? {} : { message: r.message }),
        durationMs: r.durationMs,
      })),
    },
    null,
    2,
  );
}
