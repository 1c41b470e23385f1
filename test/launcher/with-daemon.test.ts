// Unmodified ntsync clients (test/launcher/c/ntsync-abi-client.c: the uapi and nothing else)
// run under the real ntsync-run against a real ntsyncd, 64- and 32-bit, as root and as an
// unprivileged user, and get the kernel driver's results. Needs root to start the daemon.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, canBuild32Bit, compileC } from './helpers/build';
import { Daemon } from './helpers/daemon';
import { run } from './helpers/run';

const asRoot = process.getuid?.() === 0;
const m32Problem = process.arch === 'x64' ? canBuild32Bit('with-daemon') : 'not an x86_64 host';

(asRoot ? describe : describe.skip)('ntsync-run with ntsyncd (root)', () => {
  let daemon: Daemon;
  let ntsyncRun: string;
  const client64 = compileC('test/launcher/c/ntsync-abi-client.c', 'ntsync-abi-client.with-daemon', ['-Wextra']);
  const names = execFileSync(client64, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const client32 =
    m32Problem === null ? compileC('test/launcher/c/ntsync-abi-client.c', 'ntsync-abi-client-m32.with-daemon', ['-m32', '-Wextra']) : null;

  beforeAll(async () => {
    ntsyncRun = bundle('src/cli/ntsync-run.ts', 'ntsync-run.with-daemon.js');
    daemon = await Daemon.start(bundle('src/cli/ntsyncd.ts', 'ntsyncd.with-daemon.js'));
  });

  afterAll(async () => {
    if (!daemon) return;
    const stopped = await daemon.stop();
    expect(stopped).toEqual({ code: 0, signal: null, mountsLeft: [] });
  });

  async function underLauncher(argv: string[], options: { uid?: number; extraArgs?: string[] } = {}) {
    const launcher = ['node', ntsyncRun, '--mount', daemon.mount, '--device', daemon.device, ...(options.extraArgs ?? []), '--', ...argv];
    const env = { ...process.env, NTSYNC_DEVICE: daemon.device };
    if (options.uid === undefined) return run(launcher, { env });
    // setpriv drops to the user with no capabilities left, like a desktop session's process.
    return run(['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', ...launcher], { env });
  }

  function expectPass(r: { status: number | null; stdout: string; stderr: string }) {
    if (r.status !== 0) throw new Error(`exit ${r.status}\n${r.stderr}${r.stdout}\n--- daemon log ---\n${daemon.logs}`);
  }

  describe('64-bit client', () => {
    test.each(names)('%s', async (name) => expectPass(await underLauncher([client64, name])));
  });

  describe('32-bit client (i386 syscalls)', () => {
    test('gcc -m32 works (CI installs gcc-multilib)', () => expect(m32Problem).toBeNull());
    if (client32 !== null) test.each(names)('%s', async (name) => expectPass(await underLauncher([client32, name])));
  });

  describe('as an unprivileged user', () => {
    test.each(['create_returns_cloexec_fds', 'fds_passed_over_scm_rights', 'waits'])('%s', async (name) => {
      expectPass(await underLauncher([client64, name], { uid: 65534 }));
    });
  });

  describe('stress through the real daemon', () => {
    const stress = compileC('test/launcher/c/create-client.c', 'create-client.with-daemon');

    test('8 threads creating at once: every CREATE answered, no fd leaked', async () => {
      const r = await underLauncher([stress, 'threads', daemon.device, '8', '100']);
      expect(r.stdout).toMatch(/^created 800 failures 0 leaked-fds 0$/m);
    });

    test('CREATEs interrupted again and again by SA_RESTART signals all succeed, no fd leaked', async () => {
      const r = await underLauncher([stress, 'interrupted', daemon.device, '300']);
      expect(r.stdout).toMatch(/^created 300 failures 0 last-errno 0 leaked-fds 0 signals [1-9]\d*$/m);
    });

    test('a double-forked daemon keeps creating after the command exited, and is waited for', async () => {
      const out = join(daemon.dir, 'daemonized');
      const r = await underLauncher(['sh', '-c', `LAUNCHER_PID=$PPID exec ${stress} daemonize ${daemon.device} ${out}`]);
      expect(r.status).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('ppid-is-launcher 1 create ok cloexec 1\n');
    });
  });

  test('a program outside ntsync-run cannot open the device (so Wine falls back cleanly)', async () => {
    const r = await run([client64, 'create_returns_cloexec_fds'], { env: { ...process.env, NTSYNC_DEVICE: daemon.device } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/errno 1: Operation not permitted/);
  });

  test('no CREATE ever reached the daemon around the launcher', () => {
    expect(daemon.logs).not.toMatch(/issued an ntsync CREATE ioctl directly/);
  });

  test('a --device that the daemon does not serve gets a warning, and the command still runs', async () => {
    const r = await underLauncher(['true'], { extraArgs: ['--device', '/nonexistent/ntsync'] });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('/nonexistent/ntsync does not exist');
  });
});

(asRoot ? describe : describe.skip)('ntsync-run after ntsyncd died (root)', () => {
  test('a stale mount is reported as such, and a restarted daemon serves again', async () => {
    const daemonBundle = bundle('src/cli/ntsyncd.ts', 'ntsyncd.stale.js');
    const ntsyncRun = bundle('src/cli/ntsync-run.ts', 'ntsync-run.stale.js');
    const first = await Daemon.start(daemonBundle);
    await first.kill();
    const stale = await run(['node', ntsyncRun, '--mount', first.mount, '--', 'true']);
    expect(stale.status).toBe(125);
    expect(stale.stderr).toContain(`ntsyncd's object mount at ${first.mount} is stale (the daemon is gone)`);

    const second = await Daemon.start(daemonBundle, first.dir); // detaches the stale mounts
    try {
      const r = await run(['node', ntsyncRun, '--mount', second.mount, '--device', second.device, '--', 'true']);
      expect(r.status).toBe(0);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, signal: null, mountsLeft: [] });
    }
  });
});

describe('ntsync-run without a daemon', () => {
  let ntsyncRun: string;
  let empty: string;

  beforeAll(() => {
    ntsyncRun = bundle('src/cli/ntsync-run.ts', 'ntsync-run.no-daemon.js');
    empty = mkdtempSync(join(tmpdir(), 'ntsync-run-nodaemon-'));
  });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  test('says how to start ntsyncd, and exits 125 without running the command', async () => {
    const marker = join(empty, 'ran');
    const r = await run(['node', ntsyncRun, '--mount', empty, '--device', join(empty, 'no-device'), '--', 'touch', marker]);
    expect(r.status).toBe(125);
    expect(r.stderr).toContain(`ntsyncd is not running: there is no ${empty}/control`);
    expect(r.stderr).toContain('systemctl start ntsyncd');
    expect(r.stderr).toContain('sudo ntsyncd');
    expect(() => execFileSync('test', ['-e', marker])).toThrow();
  });

  (asRoot ? test : test.skip)('with the kernel driver at --device (a misc char node), it just runs the command', async () => {
    // Only the node's type and major number matter to the launcher, so a node made with mknod
    // stands in for the kernel's /dev/ntsync.
    const node = join(empty, 'ntsync');
    execFileSync('mknod', [node, 'c', '10', '251']);
    const r = await run(['node', ntsyncRun, '--mount', join(empty, 'no-mount'), '--device', node, '--', 'sh', '-c', 'exit 3']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`note: ${node} is the kernel's own ntsync driver and ntsyncd is not running; running the command as it is.`);
  });

  test('--help prints the usage; a missing command is a usage error', async () => {
    const help = await run(['node', ntsyncRun, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: ntsync-run \[--mount DIR\] \[--device PATH\] \[--\] COMMAND/);
    const none = await run(['node', ntsyncRun, '--mount', empty]);
    expect(none.status).toBe(125);
    expect(none.stderr).toContain('no command given');
  });
});
