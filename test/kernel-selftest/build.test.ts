// build.sh changes exactly one line of the kernel's selftest, and refuses to build when the
// line it fixes is not where it expects it (upstream changed the file: a human must look).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { kernelCacheDir, repoRoot } from '../kernels/kernel-cache';
import { buildKernelSelftest } from './selftest';

const execFileP = promisify(execFile);
const SELFTEST_C = 'tools/testing/selftests/drivers/ntsync/ntsync.c';
const WRONG = '\tEXPECT_EQ(0, objs[3]);';

describe('the kernel selftest build', () => {
  let source: string;
  let scratch: string;
  beforeAll(async () => {
    await buildKernelSelftest();
    source = path.join(kernelCacheDir(), 'source-7.2');
  }, 15 * 60_000);
  beforeEach(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'ntsyncd-selftest-build-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  /** build.sh on a copy of the extracted tree whose ntsync.c went through `edit`. */
  async function buildWith(edit: (c: string) => string) {
    const tree = path.join(scratch, 'tree');
    cpSync(source, tree, { recursive: true });
    const file = path.join(tree, SELFTEST_C);
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    const env = { ...process.env, NTSYNCD_KERNEL_SOURCE: tree, NTSYNCD_KERNEL_CACHE: path.join(scratch, 'cache') };
    return execFileP('bash', [path.join(repoRoot, 'test/kernel-selftest/build.sh')], { env }).then(
      ({ stdout }) => ({ ok: true, stdout, stderr: '' }),
      (e: { stdout: string; stderr: string }) => ({ ok: false, stdout: e.stdout, stderr: e.stderr }),
    );
  }

  test('the upstream source has the wrong assertion exactly once, inside wake_all', () => {
    const c = readFileSync(path.join(source, SELFTEST_C), 'utf8');
    expect(c.split(WRONG)).toHaveLength(2);
    const at = c.indexOf(WRONG);
    expect(c.lastIndexOf('\nTEST(', at)).toBe(c.indexOf('\nTEST(wake_all)'));
  });

  test('builds from an unchanged tree', async () => {
    const r = await buildWith((c) => c);
    expect(r).toMatchObject({ ok: true });
    expect(existsSync(r.stdout.trim())).toBe(true);
  }, 120_000);

  test('refuses a tree where the assertion was already fixed or moved', async () => {
    const r = await buildWith((c) => c.replace(WRONG, '\tEXPECT_LE(0, objs[3]);'));
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/was not found exactly once inside TEST\(wake_all\).*upstream changed the selftest/);
  }, 120_000);

  test('fixes only the line inside wake_all, not the same text elsewhere', async () => {
    // The same text planted in alert_any (in a block of its own, where it compiles) must stay:
    // build.sh refuses any result that differs from the source by more than one line.
    const r = await buildWith((c) => c.replace('TEST(alert_any)\n{\n', `TEST(alert_any)\n{\n\t{\n\tint objs[4] = {0};\n${WRONG}\n\t}\n`));
    expect(r).toMatchObject({ ok: true });
  }, 120_000);
});
