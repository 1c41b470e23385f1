// `ntsyncd [SUBCOMMAND] …`: the daemon itself, or one of the commands that go with it. Kept
// free of side effects so the entry points (src/cli/ntsyncd.ts, the single binary) decide.
import { runAbiTest } from '../abitest/cli';
import { ntsyncRunMain } from '../launcher/cli';
import { runDaemon } from './daemon';
import { runInstallCommand } from './install';
import { runStatus } from './status';

/** Resolves with an exit status; the daemon itself exits the process when it stops. */
export async function ntsyncdMain(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'status':
      return runStatus(rest);
    case 'abi-test':
      return runAbiTest(rest);
    case 'install':
    case 'uninstall':
      return runInstallCommand(command, rest);
    case 'run':
      return ntsyncRunMain(rest);
    default:
      await runDaemon(argv);
      return 0;
  }
}
