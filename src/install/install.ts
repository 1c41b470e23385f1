// `ntsyncd install` / `ntsyncd uninstall`: put the single binary on PATH (ntsync-run is a
// symlink to it), install the systemd unit and the modules-load snippet, and enable the
// service where systemd runs. Both are idempotent and say what they did, line by line.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, lstatSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MODULES_FILE, UNIT_NAME, unitFileText } from './unit-files';

export interface InstallOptions {
  /** The built executable (dist/bin/ntsyncd, or the running binary itself). */
  binary: string;
  /** Installs below this directory instead of / (for packaging and tests). */
  root: string;
  prefix: string;
  /** Run systemctl; by default when systemd is the running init and root is /. */
  systemd: boolean;
  log: (line: string) => void;
}

interface Layout {
  libDir: string;
  binDir: string;
  unitPath: string;
  modulesPath: string;
}

function layout(o: InstallOptions): Layout {
  return {
    libDir: join(o.root, o.prefix, 'lib', 'ntsyncd'),
    binDir: join(o.root, o.prefix, 'bin'),
    unitPath: join(o.root, 'etc', 'systemd', 'system', UNIT_NAME),
    modulesPath: join(o.root, 'etc', 'modules-load.d', 'ntsyncd.conf'),
  };
}

export function systemdIsRunning(): boolean {
  return existsSync('/run/systemd/system');
}

function sameFile(a: string, b: string): boolean {
  return existsSync(b) && readFileSync(a).equals(readFileSync(b));
}

function placeFile(from: string, to: string, mode: number, log: (l: string) => void): void {
  if (sameFile(from, to)) return log(`unchanged ${to}`);
  mkdirSync(dirname(to), { recursive: true });
  // Copy beside and rename over, so a running binary is never overwritten in place.
  const tmp = `${to}.new`;
  copyFileSync(from, tmp);
  chmodSync(tmp, mode);
  rmSync(to, { force: true });
  copyFileSync(tmp, to);
  chmodSync(to, mode);
  rmSync(tmp, { force: true });
  log(`installed ${to}`);
}

function placeText(text: string, to: string, log: (l: string) => void): void {
  if (existsSync(to) && readFileSync(to, 'utf8') === text) return log(`unchanged ${to}`);
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, text, { mode: 0o644 });
  log(`installed ${to}`);
}

function placeLink(target: string, at: string, log: (l: string) => void): void {
  let current: string | null = null;
  try {
    if (lstatSync(at).isSymbolicLink()) current = readlinkSync(at);
  } catch {
    /* absent */
  }
  if (current === target) return log(`unchanged ${at} -> ${target}`);
  mkdirSync(dirname(at), { recursive: true });
  rmSync(at, { force: true });
  symlinkSync(target, at);
  log(`installed ${at} -> ${target}`);
}

function systemctl(args: string[], log: (l: string) => void): void {
  const r = spawnSync('systemctl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`systemctl ${args.join(' ')} failed: ${(r.stderr || r.stdout || '').trim()}`);
  log(`ran systemctl ${args.join(' ')}`);
}

export function install(o: InstallOptions): void {
  const l = layout(o);
  if (!existsSync(o.binary)) {
    throw new Error(`no built binary at ${o.binary}: run \`npm run build:binary\` first, or pass --binary PATH`);
  }
  const koffi = join(dirname(o.binary), 'koffi.node');
  if (!existsSync(koffi)) throw new Error(`koffi.node must sit beside ${o.binary}; rebuild with \`npm run build:binary\``);
  placeFile(o.binary, join(l.libDir, 'ntsyncd'), 0o755, o.log);
  placeFile(koffi, join(l.libDir, 'koffi.node'), 0o644, o.log);
  const installed = join('..', 'lib', 'ntsyncd', 'ntsyncd');
  placeLink(installed, join(l.binDir, 'ntsyncd'), o.log);
  placeLink(installed, join(l.binDir, 'ntsync-run'), o.log);
  const unit = unitFileText(UNIT_NAME).replace(/\/usr\/local\/bin\/ntsyncd/g, join(o.prefix, 'bin', 'ntsyncd'));
  placeText(unit, l.unitPath, o.log);
  placeText(unitFileText(MODULES_FILE), l.modulesPath, o.log);
  if (o.systemd) {
    systemctl(['daemon-reload'], o.log);
    systemctl(['enable', '--now', UNIT_NAME], o.log);
  } else {
    o.log('systemd is not running here: start the daemon yourself with `sudo ntsyncd`');
  }
}

export function uninstall(o: InstallOptions): void {
  const l = layout(o);
  if (o.systemd && existsSync(l.unitPath)) systemctl(['disable', '--now', UNIT_NAME], o.log);
  for (const path of [
    join(l.binDir, 'ntsync-run'),
    join(l.binDir, 'ntsyncd'),
    l.unitPath,
    l.modulesPath,
    join(l.libDir, 'koffi.node'),
    join(l.libDir, 'ntsyncd'),
  ]) {
    let present = false;
    try {
      lstatSync(path);
      present = true;
    } catch {
      /* absent */
    }
    if (present) {
      rmSync(path, { force: true });
      o.log(`removed ${path}`);
    } else {
      o.log(`absent ${path}`);
    }
  }
  if (existsSync(l.libDir)) rmSync(l.libDir, { recursive: true, force: true });
  if (o.systemd) systemctl(['daemon-reload'], o.log);
}
