// A daemon that stops answering while a program under ntsync-run makes a CREATE: the launcher
// says what it waits for (from its watcher thread, since its main thread is the one blocked),
// and says so again when the daemon answers; the program's CREATE then completes. Needs root.
import { spawn } from 'node:child_process';
import { bundle, compileC } from './helpers/build';
import { Daemon } from './helpers/daemon';

const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)('ntsync-run when ntsyncd stops answering (root)', () => {
  let daemon: Daemon;
  let ntsyncRun: string;
  const client = compileC('test/launcher/c/stall-client.c', 'stall-client');

  beforeAll(async () => {
    ntsyncRun = bundle('src/cli/ntsync-run.ts', 'ntsync-run.stall.js');
    daemon = await Daemon.start(bundle('src/cli/ntsyncd.ts', 'ntsyncd.stall.js'));
  });

  afterAll(async () => {
    if (!daemon) return;
    daemon.signal('SIGCONT');
    const stopped = await daemon.stop();
    expect(stopped).toEqual({ code: 0, signal: null, mountsLeft: [] });
  });

  test('a stopped daemon is reported after the threshold, and its return too', async () => {
    const child = spawn('node', [ntsyncRun, '--mount', daemon.mount, '--device', daemon.device, '--', client], {
      env: { ...process.env, NTSYNC_DEVICE: daemon.device, NTSYNC_RUN_STALL_WARNING_MS: '300' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const seen = (pattern: RegExp, text: () => string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (pattern.test(text())) {
            clearInterval(timer);
            resolve();
          } else if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`ntsync-run exited ${child.exitCode}\n${stderr}${stdout}`));
          }
        }, 10);
      });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await seen(/^ready$/m, () => stdout);
      daemon.signal('SIGSTOP');
      child.stdin.write('\n');
      await seen(/^ntsync-run: ntsyncd has not answered for \d+\.\d s; the program's ntsync calls wait until it does\. Check it with `systemctl status ntsyncd`/m, () => stderr);
      expect(stdout).not.toMatch(/created/);
      daemon.signal('SIGCONT');
      await seen(/^ntsync-run: ntsyncd answered again after \d+\.\d s\.$/m, () => stderr);
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/^created fd \d+$/m);
    } finally {
      daemon.signal('SIGCONT');
      child.kill('SIGKILL');
    }
  }, 30000);
});
