// CLI over test/kernels/qemu.ts; run it through run-in-guest.sh. See usage() below.
import { GuestError, runInGuest } from '../../test/kernels/qemu';
import { KERNEL_SERIES, KernelSeries } from '../../test/kernels/kernel-cache';

function usage(): never {
  process.stderr.write(`usage: run-in-guest.sh [options] [--] COMMAND [ARG...]
Boots a Debian kernel under qemu, runs COMMAND as root in it (host root read-only under a tmpfs
overlay; the working tree and --share directories read-write) and exits with its status.
  --kernel 6.1|7.2     kernel to boot (default 7.2)
  --module NAME        load a module (and its dependencies) first; repeatable, or comma-separated
  --cpus N             vCPUs (default 2; 1 for timing work)
  --memory MIB         guest memory (default 1024)
  --share DIR          share DIR read-write at the same path (repeatable; default: the working tree)
  --cwd DIR            working directory in the guest
  --env K=V            environment variable for the command (repeatable)
  --timeout SECONDS    command timeout (default 300)
  --append ARG         extra kernel command-line argument (repeatable)
  --console            copy the serial console (kernel messages) to stderr as it arrives
  --timings            print boot and run timings to stderr
Exit status: the command's, 128+N if signal N ended it, 125 if the guest never ran it to the end.
`);
  process.exit(2);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let kernel: KernelSeries = '7.2';
  const modules: string[] = [];
  const shares: string[] = [];
  const env: Record<string, string> = {};
  const kernelArgs: string[] = [];
  let cpus: number | undefined;
  let memoryMiB: number | undefined;
  let cwd: string | undefined;
  let timeoutMs: number | undefined;
  let showConsole = false;
  let showTimings = false;
  const value = () => args.shift() ?? usage();
  while (args.length && args[0].startsWith('--')) {
    const opt = args.shift()!;
    if (opt === '--') break;
    switch (opt) {
      case '--kernel': {
        const k = value();
        if (!KERNEL_SERIES.includes(k as KernelSeries)) usage();
        kernel = k as KernelSeries;
        break;
      }
      case '--module': modules.push(...value().split(',').filter(Boolean)); break;
      case '--cpus': cpus = Number(value()); break;
      case '--memory': memoryMiB = Number(value()); break;
      case '--share': shares.push(value()); break;
      case '--cwd': cwd = value(); break;
      case '--env': {
        const kv = value();
        const eq = kv.indexOf('=');
        if (eq <= 0) usage();
        env[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      case '--timeout': timeoutMs = Number(value()) * 1000; break;
      case '--append': kernelArgs.push(value()); break;
      case '--console': showConsole = true; break;
      case '--timings': showTimings = true; break;
      default: usage();
    }
  }
  if (args.length === 0) usage();
  try {
    const r = await runInGuest({
      kernel,
      command: args,
      modules,
      cpus,
      memoryMiB,
      shares: shares.length ? shares : undefined,
      cwd,
      env,
      timeoutMs,
      kernelArgs,
      onConsole: showConsole ? (t) => process.stderr.write(t) : undefined,
    });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    if (showTimings) {
      const t = r.timings;
      process.stderr.write(
        `run-in-guest: ${r.kernelRelease}: boot to command ${t.bootToCommandMs} ms (guest uptime ${t.guestUptimeAtCommandS} s), ` +
          `command ${t.commandS} s, total ${t.totalMs} ms\n`,
      );
    }
    return r.exitCode ?? 128 + (r.signal ?? 0);
  } catch (e) {
    if (e instanceof GuestError) {
      process.stdout.write(e.stdout);
      process.stderr.write(e.stderr);
    }
    process.stderr.write(`run-in-guest: ${(e as Error).message}\n`);
    return 125;
  }
}

main().then((code) => process.exit(code));
