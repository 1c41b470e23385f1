// install/uninstall into a scratch root: what lands where, idempotence, and the unit verifies.
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, readlinkSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { install, uninstall, type InstallOptions } from '../../src/install/install';

function fakeBuild(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, 'ntsyncd');
  writeFileSync(bin, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  writeFileSync(join(dir, 'koffi.node'), 'native');
  return bin;
}

function options(root: string, binary: string, lines: string[]): InstallOptions {
  return { binary, root, prefix: '/usr/local', systemd: false, log: (l) => lines.push(l) };
}

describe('ntsyncd install / uninstall', () => {
  let root: string;
  let binary: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ntsyncd-install-'));
    binary = fakeBuild(join(root, 'build'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('puts the binary, both commands, the unit and the modules-load file in place', () => {
    const lines: string[] = [];
    install(options(root, binary, lines));
    const lib = join(root, 'usr/local/lib/ntsyncd');
    expect(readFileSync(join(lib, 'ntsyncd'), 'utf8')).toContain('exit 0');
    expect(existsSync(join(lib, 'koffi.node'))).toBe(true);
    expect(readlinkSync(join(root, 'usr/local/bin/ntsyncd'))).toBe('../lib/ntsyncd/ntsyncd');
    expect(readlinkSync(join(root, 'usr/local/bin/ntsync-run'))).toBe('../lib/ntsyncd/ntsyncd');
    const unit = readFileSync(join(root, 'etc/systemd/system/ntsyncd.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/ntsyncd /m);
    expect(readFileSync(join(root, 'etc/modules-load.d/ntsyncd.conf'), 'utf8')).toMatch(/^cuse$/m);
    expect(lines.filter((l) => l.startsWith('installed')).length).toBe(6);
    expect(lines.some((l) => l.includes('systemd is not running'))).toBe(true);
  });

  test('is idempotent, and a second run reports everything unchanged', () => {
    install(options(root, binary, []));
    const again: string[] = [];
    install(options(root, binary, again));
    expect(again.filter((l) => l.startsWith('unchanged')).length).toBe(6);
    expect(again.some((l) => l.startsWith('installed'))).toBe(false);
  });

  test('a rebuilt binary replaces the installed one', () => {
    install(options(root, binary, []));
    writeFileSync(binary, '#!/bin/sh\nexit 3\n');
    const lines: string[] = [];
    install(options(root, binary, lines));
    expect(lines).toContain(`installed ${join(root, 'usr/local/lib/ntsyncd/ntsyncd')}`);
    expect(readFileSync(join(root, 'usr/local/lib/ntsyncd/ntsyncd'), 'utf8')).toContain('exit 3');
  });

  test('uninstall removes everything and is idempotent', () => {
    install(options(root, binary, []));
    const lines: string[] = [];
    uninstall(options(root, binary, lines));
    expect(lines.filter((l) => l.startsWith('removed')).length).toBe(6);
    for (const p of ['usr/local/bin/ntsyncd', 'usr/local/bin/ntsync-run', 'etc/systemd/system/ntsyncd.service', 'usr/local/lib/ntsyncd']) {
      expect(existsSync(join(root, p))).toBe(false);
    }
    const again: string[] = [];
    uninstall(options(root, binary, again));
    expect(again.every((l) => l.startsWith('absent'))).toBe(true);
  });

  test('a missing build says how to make one', () => {
    expect(() => install(options(root, join(root, 'nope', 'ntsyncd'), []))).toThrow(/npm run build:binary/);
  });

  test('the installed unit passes systemd-analyze verify', () => {
    install(options(root, binary, []));
    const unitPath = join(root, 'etc/systemd/system/ntsyncd.service');
    // verify checks that ExecStart exists: point it at the installed copy in the scratch root.
    const unit = readFileSync(unitPath, 'utf8').replace(/\/usr\/local\/bin\/ntsyncd/g, join(root, 'usr/local/bin/ntsyncd'));
    const checked = join(root, 'ntsyncd.service');
    writeFileSync(checked, unit);
    const r = spawnSync('systemd-analyze', ['verify', checked], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
