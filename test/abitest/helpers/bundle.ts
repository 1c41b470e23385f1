// The ABI suite's bundles (under the git-ignored test/.build/abitest) and its JSON report.
import { join } from 'node:path';
import { bundle as bundleInto, ROOT } from '../../launcher/helpers/build';

export { ROOT };
export const BUILD_DIR = join(ROOT, 'test/.build/abitest');

export function bundle(entry: string, output: string): string {
  return bundleInto(entry, output, BUILD_DIR);
}

export interface JsonReport {
  device: string;
  total: number;
  passed: number;
  failed: number;
  cases: Array<{ id: string; status: 'pass' | 'fail'; message?: string }>;
}

/** The failing cases of a --json report as "id — message" lines, for readable assertions. */
export function failures(report: JsonReport): string[] {
  return report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id} — ${c.message}`);
}
