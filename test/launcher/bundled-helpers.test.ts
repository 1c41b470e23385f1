// The C build helpers are also bundled elsewhere (`npm run fuzz` bundles the fuzz driver into
// .cache/fuzz/): they must find the repository, and its <linux/ntsync.h>, from there too.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { C_INCLUDE, ROOT } from './helpers/build';

test('the build helpers find the repository when bundled into .cache', () => {
  mkdirSync(join(ROOT, '.cache'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.cache', 'bundled-helpers-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(entry, `import { C_INCLUDE } from ${JSON.stringify(join(ROOT, 'test/launcher/helpers/build'))};\nprocess.stdout.write(C_INCLUDE);\n`);
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', external: ['esbuild'], outfile: join(dir, 'probe.js'), logLevel: 'silent' });
    const found = execFileSync(process.execPath, [join(dir, 'probe.js')], { encoding: 'utf8', cwd: dir });
    expect(found).toBe(C_INCLUDE);
    expect(existsSync(join(found, 'linux/ntsync.h'))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
