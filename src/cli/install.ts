// `ntsyncd install|uninstall [--root DIR] [--prefix DIR] [--binary PATH] [--no-systemd]`.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { install, systemdIsRunning, uninstall, type InstallOptions } from '../install/install';

const HELP = `usage: ntsyncd install|uninstall [--root DIR] [--prefix DIR] [--binary PATH] [--no-systemd]

install: copies the ntsyncd binary (and koffi.node beside it) to PREFIX/lib/ntsyncd, links
ntsyncd and ntsync-run into PREFIX/bin, writes /etc/systemd/system/ntsyncd.service and
/etc/modules-load.d/ntsyncd.conf, and where systemd runs enables and starts the service.
uninstall: stops and disables the service and removes all of that. Both can be run again.

  --root DIR     install below DIR instead of / (packaging); never runs systemctl
  --prefix DIR   default /usr/local
  --binary PATH  the built binary (default: this one when run as the single binary, else
                 dist/bin/ntsyncd from \`npm run build:binary\`)
  --no-systemd   write the unit but do not run systemctl
`;

function isSingleBinary(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

export async function runInstallCommand(command: 'install' | 'uninstall', argv: string[]): Promise<number> {
  let root = '/';
  let prefix = '/usr/local';
  let binary = isSingleBinary() ? process.execPath : resolve(__dirname, '..', '..', '..', 'dist', 'bin', 'ntsyncd');
  let useSystemd: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--root') root = argv[++i] ?? '';
    else if (a === '--prefix') prefix = argv[++i] ?? '';
    else if (a === '--binary') binary = resolve(argv[++i] ?? '');
    else if (a === '--no-systemd') useSystemd = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else {
      process.stderr.write(`ntsyncd ${command}: unknown argument ${a}\n${HELP}`);
      return 2;
    }
  }
  if (!root || !prefix) {
    process.stderr.write(`ntsyncd ${command}: --root and --prefix need a directory\n`);
    return 2;
  }
  if (root === '/' && process.getuid?.() !== 0) {
    process.stderr.write(`ntsyncd ${command}: needs root (sudo ntsyncd ${command})\n`);
    return 1;
  }
  const options: InstallOptions = {
    binary: existsSync(binary) ? binary : join(binary),
    root,
    prefix,
    systemd: useSystemd ?? (root === '/' && systemdIsRunning()),
    log: (line) => process.stdout.write(`${line}\n`),
  };
  try {
    if (command === 'install') install(options);
    else uninstall(options);
    return 0;
  } catch (err) {
    process.stderr.write(`ntsyncd ${command}: ${(err as Error).message}\n`);
    return 1;
  }
}
