// ntsync-run's command line. Options end at the first word that is not one (or at `--`), so
// `ntsync-run wine game.exe --fullscreen` passes --fullscreen to the game, as Steam's
// `ntsync-run %command%` needs.
import { DEFAULT_DEVICE, DEFAULT_MOUNT } from '../ioctl/control';

export const USAGE = `Usage: ntsync-run [--mount DIR] [--device PATH] [--] COMMAND [ARG...]

Runs COMMAND so that its ntsync CREATE ioctls work on ntsyncd's /dev/ntsync: the objects
become real file descriptors in the program, as with the kernel driver. Use it like
gamemoderun: \`ntsync-run wine game.exe\`, or \`ntsync-run %command%\` in Steam's launch options.
It exits with COMMAND's status once COMMAND and every process it left behind (such as
wineserver) have exited; SIGINT, SIGTERM and SIGHUP are passed on to COMMAND.

Options:
  --mount DIR     ntsyncd's object filesystem (default ${DEFAULT_MOUNT})
  --device PATH   the device the programs open (default ${DEFAULT_DEVICE}); only checked
  -h, --help      show this help

Environment:
  NTSYNC_RUN_STALL_WARNING_MS   after how long a request to ntsyncd that gets no answer is
                                reported on stderr (default 10000)

Needs ntsyncd running (\`sudo systemctl start ntsyncd\`) and Linux 5.14 or newer. On a
kernel with its own ntsync driver and no ntsyncd, COMMAND simply runs as it is.
`;

export interface Options {
  mount: string;
  device: string;
  command: string[];
  help: boolean;
}

/** Parses argv (without node and the script); throws an Error with a usage message. */
export function parseOptions(argv: readonly string[]): Options {
  const options: Options = { mount: DEFAULT_MOUNT, device: DEFAULT_DEVICE, command: [], help: false };
  let i = 0;
  const valueOf = (name: string): string => {
    const value = argv[++i];
    if (value === undefined || value === '') throw new Error(`${name} needs a value`);
    return value;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help') {
      options.help = true;
      return options;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    if (name === '--mount' || name === '--device') {
      const value = inline ?? valueOf(name);
      if (value === '') throw new Error(`${name} needs a value`);
      if (name === '--mount') options.mount = value;
      else options.device = value;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') throw new Error(`unknown option ${arg} (put -- before a command that starts with -)`);
    break;
  }
  options.command = argv.slice(i);
  if (options.command.length === 0) throw new Error('no command given');
  return options;
}
