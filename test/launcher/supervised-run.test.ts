// ntsync-run's machinery end to end, with a stand-in for ntsyncd (fixtures/fake-launcher.ts):
// real seccomp filter, real notifications, real fd injection into real C programs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle, canBuild32Bit, compileC } from './helpers/build';
import { run, start } from './helpers/run';

const CREATE_SEM = 0x40084e80;
const CREATE_MUTEX = 0x40084e84;
const CREATE_EVENT = 0x40084e87;
const ENOTTY = 25;
const EBADF = 9;

let launcher: string;
let client64: string;
let tmp: string;
let device: string;
let logPath: string;

beforeAll(() => {
  launcher = bundle('test/launcher/fixtures/fake-launcher.ts', 'fake-launcher.supervised-run.js');
  client64 = compileC('test/launcher/c/create-client.c', 'create-client.supervised-run');
  tmp = mkdtempSync(join(tmpdir(), 'ntsync-run-test-'));
  device = join(tmp, 'fake-device');
  writeFileSync(device, '');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let logCounter = 0;
function supervised(command: string[], env?: NodeJS.ProcessEnv) {
  logPath = join(tmp, `log-${logCounter++}`);
  writeFileSync(logPath, '');
  return run(['node', launcher, device, logPath, '--', ...command], env ? { env: { ...process.env, ...env } } : {});
}

/** What the stand-in backend was asked to create, in order. */
function backendLog(): string[] {
  return readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
}

/** "key value" lines of the C client as a map from the first word to the rest. */
function results(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]),
  );
}

function describeAbi(name: string, client: () => string) {
  describe(`a ${name} client`, () => {
    test('only the three CREATE ioctls are trapped; the other ntsync ioctls reach the file untouched', async () => {
      const r = await supervised([client(), 'probe', device]);
      expect(r.status).toBe(0);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('cmd '));
      for (const line of lines) {
        const [, cmdHex, , ret, , errno] = line.split(' ');
        const cmd = Number(cmdHex);
        if ([CREATE_SEM, CREATE_MUTEX, CREATE_EVENT].includes(cmd)) {
          expect({ line, ok: Number(ret) >= 0 }).toEqual({ line, ok: true });
        } else if (cmd === 0x541b /* FIONREAD, which a regular file answers */) {
          expect(Number(ret)).toBe(0);
        } else {
          expect({ line, errno: Number(errno) }).toEqual({ line, errno: ENOTTY });
        }
      }
      expect(lines).toHaveLength(16);
      const created = backendLog().map((l) => l.split(' ')[1]);
      const expected = ['type=1', 'type=2', 'type=3'];
      if (name === 'x86_64') {
        // ioctl(fd, 0xdeadbeef00000000 | CREATE_EVENT): the kernel ignores the upper half of cmd.
        expect(r.stdout).toMatch(/^highbits 0x40084e87 ret \d+ errno 0$/m);
        expected.push('type=3');
      }
      expect(created).toEqual(expected);
    });

    test('CREATE returns an injected O_CLOEXEC fd, made from the argument bytes read from the caller', async () => {
      const r = await supervised([client(), 'inject', device]);
      expect(r.status).toBe(0);
      const out = results(r.stdout);
      expect(out.get('sem')).toMatch(/^fd \d+ cloexec 1 content type=1 args=0200000005000000$/);
      expect(out.get('mutex')).toMatch(/^fd \d+ cloexec 1 content type=2 args=0700000001000000$/);
      expect(out.get('event')).toMatch(/^fd \d+ cloexec 1 content type=3 args=0100000000000000$/);
      const fds = ['sem', 'mutex', 'event'].map((k) => Number(/^fd (\d+)/.exec(out.get(k)!)![1]));
      expect(new Set(fds).size).toBe(3);
    });

    test('every error is an answer: the daemon, bad pointers, a full fd table, the launcher failing', async () => {
      const r = await supervised([client(), 'errors', device]);
      expect(r.status).toBe(0);
      expect(Object.fromEntries(results(r.stdout))).toEqual({
        'sem-count-over-max': '22', // EINVAL from the "daemon"
        'daemon-emfile': '24',
        'daemon-enomem': '12',
        'launcher-failure': '5', // EIO: the backend threw
        'null-args': '14', // EFAULT
        'bad-args': '14',
        'straddling-args': '14', // 4 readable bytes, then an unmapped page
        'caller-emfile': '24', // ADDFD could not install the fd in the caller
        'after-emfile': 'ok',
      });
      expect(r.stderr).toMatch(/internal error while answering a CREATE ioctl of thread \d+; it fails with EIO/);
    });
  });
}

describeAbi('x86_64', () => client64);

const m32Problem = process.arch === 'x64' ? canBuild32Bit('supervised-run') : 'not an x86_64 host';
describe('32-bit x86 (i386 syscall ABI)', () => {
  test('gcc can build and the kernel can run i386 programs (CI installs gcc-multilib)', () => {
    expect(m32Problem).toBeNull();
  });
});
if (m32Problem === null) describeAbi('i386', () => compileC('test/launcher/c/create-client.c', 'create-client-m32.supervised-run', ['-m32']));

describe('fds that are not our device', () => {
  test('CONTINUE: the kernel gives its own answer (ENOTTY, EBADF) and the backend is never asked', async () => {
    const r = await supervised([client64, 'not-ours', device]);
    expect(r.status).toBe(0);
    expect(Object.fromEntries(results(r.stdout))).toEqual({
      devnull: String(ENOTTY),
      pipe: String(ENOTTY),
      closed: String(EBADF),
      negative: String(EBADF),
      self: String(ENOTTY),
    });
    expect(backendLog()).toEqual([]);
  });
});

describe('concurrency and interruption', () => {
  test('8 threads creating at once: every CREATE answered, no fd leaked', async () => {
    const r = await supervised([client64, 'threads', device, '8', '150']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^created 1200 failures 0 leaked-fds 0$/m);
    expect(backendLog()).toHaveLength(1200);
  });

  test('a thread interrupted by SA_RESTART signals again and again still gets every object, no fd leaked', async () => {
    const r = await supervised([client64, 'interrupted', device, '400']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^created 400 failures 0 last-errno 0 leaked-fds 0 signals [1-9]\d*$/m);
  });
});

describe('the command', () => {
  test('runs with no_new_privs and a seccomp filter, and knows its launcher', async () => {
    const r = await supervised(['sh', '-c', 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; echo "launcher $NTSYNC_RUN_PID $PPID"']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m); // SECCOMP_MODE_FILTER
    const [, envPid, parent] = /^launcher (\d+) (\d+)$/m.exec(r.stdout)!;
    expect(envPid).toBe(parent);
  });
});

describe('process lifetime', () => {
  test('exits with the command status', async () => {
    expect((await supervised(['sh', '-c', 'exit 7'])).status).toBe(7);
    expect((await supervised(['true'])).status).toBe(0);
  });

  test('exits with 128 + signal when a signal killed the command', async () => {
    expect((await supervised(['sh', '-c', 'kill -TERM $$'])).status).toBe(128 + 15);
    expect((await supervised(['sh', '-c', 'kill -KILL $$'])).status).toBe(128 + 9);
  });

  test('a missing command is 127, a non-executable one 126, with a message', async () => {
    const missing = await supervised(['ntsync-run-no-such-command']);
    expect(missing.status).toBe(127);
    expect(missing.stderr).toContain('ntsync-run-no-such-command: command not found');
    const notExecutable = await supervised([device]);
    expect(notExecutable.status).toBe(126);
  });

  test('a double-forking daemon stays below the launcher, is served, and is waited for', async () => {
    const out = join(tmp, 'daemonized');
    // The command exits at once; its grandchild (setsid, re-parented to the launcher) creates
    // an object 300 ms later and records what it saw.
    const r = await supervised(['sh', '-c', `LAUNCHER_PID=$PPID exec ${client64} daemonize ${device} ${out}`]);
    expect(r.status).toBe(0);
    expect(existsSync(out)).toBe(true); // the launcher did not exit before its last descendant
    expect(readFileSync(out, 'utf8')).toBe('ppid-is-launcher 1 create ok cloexec 1\n');
  });

  test.each([
    ['SIGTERM', 15],
    ['SIGINT', 2],
    ['SIGHUP', 1],
  ] as const)('%s to the launcher is forwarded to the command', async (signal, number) => {
    logPath = join(tmp, `log-${logCounter++}`);
    const running = start(['node', launcher, device, logPath, '--', client64, 'signals']);
    await running.waitForOutput('ready');
    running.child.kill(signal);
    const r = await running.done;
    expect(r.status).toBe(100 + number); // the command's handler exits with 100 + signal
  });

  test('after the command has exited, a forwarded SIGTERM reaches the orphans the launcher waits for', async () => {
    logPath = join(tmp, `log-${logCounter++}`);
    // The orphan says "ready" once the launcher has adopted it, so the command has exited by then
    // (the launcher may not have reaped it yet: that counts as gone too).
    const running = start(['node', launcher, device, logPath, '--', 'sh', '-c', `ORPHAN_OF=$PPID ${client64} signals & exit 0`]);
    await running.waitForOutput('ready');
    running.child.kill('SIGTERM');
    const r = await running.done;
    expect(r.status).toBe(0); // the command's own status, not the orphan's
  });

  test('a nested launcher leaves the CREATEs to the outer one and just runs the command', async () => {
    const r = await supervised(['node', launcher, device, join(tmp, 'inner-log'), '--', client64, 'inject', device]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sem fd \d+ cloexec 1 content type=1/m);
    expect(backendLog()).toHaveLength(3); // served by the outer launcher
  });

  test('a second listener without an outer ntsync-run is refused with an explanation', async () => {
    const r = await supervised(['node', launcher, device, join(tmp, 'inner-log'), '--', 'true'], { NTSYNC_RUN_PID: '' });
    // The outer launcher sets NTSYNC_RUN_PID for its command; clearing it inside hides the nesting.
    expect(r.status).toBe(0);
    const inner = await supervised(['env', '-u', 'NTSYNC_RUN_PID', 'node', launcher, device, join(tmp, 'inner-log'), '--', 'true']);
    expect(inner.status).toBe(125);
    expect(inner.stderr).toContain('already runs under a seccomp supervisor');
  });
});
