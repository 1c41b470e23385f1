// The FUSE fallback for the device: `<mount>/device` bind-mounted over the device path. The
// bind mount has to look up `<mount>/device`, which only the daemon's own loop can answer, so
// a child process makes the call while the loop keeps serving.
import { spawn } from 'node:child_process';
import { StartupError } from './startup-error';

// Runs in the child: `node -e SCRIPT <koffi> <source> <target>`.
const SCRIPT = `
const [koffiPath, source, target] = process.argv.slice(1);
const koffi = require(koffiPath);
const mount = koffi.load('libc.so.6').func('int mount(const char *, const char *, const char *, unsigned long, const char *)');
const MS_BIND = 0x1000;
if (mount(source, target, null, MS_BIND, null) < 0) {
  const errno = koffi.errno();
  const name = Object.keys(require('os').constants.errno).find((k) => require('os').constants.errno[k] === errno);
  process.stderr.write((name || 'errno') + ' (' + errno + ')');
  process.exit(1);
}
`;

export function bindMount(source: string, target: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SCRIPT, require.resolve('koffi'), source, target], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new StartupError(`could not start the bind-mount helper: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new StartupError(`bind-mounting ${source} over ${target} failed: ${signal ?? (stderr.trim() || `exit ${code}`)}`));
    });
  });
}
