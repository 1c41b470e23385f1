// The FUSE fallback for the device: `<mount>/device` bind-mounted over the device path. The
// bind mount has to look up `<mount>/device`, which only the daemon's own loop can answer, so
// a child process makes the call while the loop keeps serving. mount(8) is that child: it is
// on every Linux system, and a single executable cannot run a Node script of its own.
import { spawn } from 'node:child_process';
import { StartupError } from './startup-error';

export function bindMount(source: string, target: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mount', ['--bind', source, target], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new StartupError(`could not run mount(8) for the device's bind mount (${err.message}); install util-linux's mount`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new StartupError(`bind-mounting ${source} over ${target} failed: ${signal ?? (stderr.trim() || `exit ${code}`)}`));
    });
  });
}
